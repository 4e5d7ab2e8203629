import { Writable } from 'node:stream';
import { expect, test } from 'vitest';
import { createLog } from './log.js';

test('secrets are redacted wherever they sit in a log line', () => {
  const lines: string[] = [];
  const sink = new Writable({ write: (chunk, _enc, done) => { lines.push(String(chunk)); done(); } });
  const log = createLog({ level: 'info', destination: sink });
  log.info({ token: 'T0KEN', privateKey: 'PRIV', device: { privateKey: 'PRIV2', clientConfig: 'CONF' }, req: { headers: { authorization: 'Bearer T0KEN' } } }, 'hello');
  const text = lines.join('');
  for (const secret of ['T0KEN', 'PRIV', 'PRIV2', 'CONF']) expect(text).not.toContain(secret);
  expect(text).toContain('[redacted]');
  expect(text).toContain('hello');
});
