// Numbered migrations, applied in order at start, each in its own transaction.
// Never edit a released migration: add the next number. store/schema.sql is the target.
import { m0001Init } from './0001-init.js';

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [m0001Init];
