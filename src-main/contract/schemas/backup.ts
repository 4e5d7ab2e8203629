// Backups of Core: an online snapshot of the database (SQLite's backup API) with the secret key
// and the API token, sealed with a passphrase, which `bulwark restore` brings back on another
// machine. The header is what `restore` reads before it asks for anything; every part's
// associated data carries it, so it cannot be changed unnoticed.
import { z } from 'zod';
import { Passphrase, PassphraseSealing } from './bundle.js';

export const BACKUP_FORMAT = 'bulwark-backup/1';
export const BACKUP_PARTS = ['bulwark.db', 'secret.key', 'token'] as const;

export const BackupHeader = z.strictObject({
  format: z.literal(BACKUP_FORMAT),
  id: z.string().regex(/^[a-z0-9-]{8,64}$/),
  createdAt: z.iso.datetime(),
  bulwarkVersion: z.string(),
  /** The database's schema version (its last migration). */
  schema: z.number().int(),
  encryption: PassphraseSealing,
  /** The parts in the file's order: the database, the secret key, and the token when the Core has one (the desktop app has none). */
  parts: z
    .array(z.strictObject({ name: z.enum(BACKUP_PARTS), size: z.number().int().nonnegative() }))
    .refine((ps) => ps[0]?.name === 'bulwark.db' && ps[1]?.name === 'secret.key' && (ps.length === 2 || (ps.length === 3 && ps[2]!.name === 'token')), 'must be bulwark.db, secret.key and, if any, token, in that order'),
});
export type BackupHeader = z.infer<typeof BackupHeader>;

export const BackupInput = z.strictObject({ passphrase: Passphrase });

export const BackupMade = z.object({
  id: z.string(),
  /** Download it once with GET /api/v1/backups/<id> (within the hour). */
  fileName: z.string(),
  size: z.number().int(),
  createdAt: z.string(),
  schema: z.number().int(),
  /** Counts in the snapshot, to compare after a restore. */
  counts: z.object({ locations: z.number().int(), devices: z.number().int(), hosts: z.number().int(), events: z.number().int() }),
  /** How long the snapshot took, in ms (SQLite's online backup, while Core served). */
  snapshotMs: z.number(),
});
export type BackupMade = z.infer<typeof BackupMade>;
