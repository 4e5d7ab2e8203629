// Structured logs (pino). Secrets are redacted by key name wherever they appear.
import { pino, type Logger } from 'pino';

export const REDACT_PATHS = [
  'token',
  'authorization',
  'privateKey',
  'clientConfig',
  'masterKey',
  '*.token',
  '*.authorization',
  '*.privateKey',
  '*.clientConfig',
  'req.headers.authorization',
  'req.headers["sec-websocket-protocol"]',
];

export type Log = Logger;

export function createLog(opts: { level?: string; destination?: NodeJS.WritableStream } = {}): Log {
  return pino(
    { level: opts.level ?? process.env.BULWARK_LOG_LEVEL ?? 'info', redact: { paths: REDACT_PATHS, censor: '[redacted]' }, base: { pid: process.pid } },
    opts.destination ?? process.stderr,
  );
}
