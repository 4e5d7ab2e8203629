// Hostile values through the real /bin/sh: what arrives as argv is exactly what was quoted.
import { execFileSync } from 'node:child_process';
import { describe, expect, test } from 'vitest';
import { shellAnd, shellCommand, shellQuote } from './quote.js';

const HOSTILE = [
  '',
  'plain',
  'with space',
  "it's",
  '"double"',
  '$(touch /tmp/bulwark-pwned)',
  '`touch /tmp/bulwark-pwned`',
  '${HOME}',
  'a;b|c&d',
  'line\nbreak',
  'tab\tand\r',
  '*',
  '~root',
  '-rf',
  "'; rm -rf / #",
  'ünïcødé ✓',
  '\\',
  "''",
];

/** Runs the quoted command in sh, which prints each argument it received NUL-terminated. */
function argvThroughShell(args: string[]): string[] {
  const script = shellCommand('printf', '%s\\0', ...args);
  const out = execFileSync('/bin/sh', ['-c', script], { encoding: 'utf8' });
  return out.split('\0').slice(0, -1);
}

describe('shellQuote', () => {
  test.each(HOSTILE)('%j reaches the program unchanged', (value) => {
    expect(argvThroughShell([value])).toEqual([value]);
  });

  test('all of them at once, in order, and nothing ran', async () => {
    const { existsSync } = await import('node:fs');
    expect(argvThroughShell(HOSTILE)).toEqual(HOSTILE);
    expect(existsSync('/tmp/bulwark-pwned')).toBe(false);
  });

  test('leaves safe words readable', () => {
    expect(shellCommand('systemctl', 'restart', 'bulwark-gateway.service')).toBe('systemctl restart bulwark-gateway.service');
    expect(shellQuote('/etc/bulwark/gateway.json')).toBe('/etc/bulwark/gateway.json');
    expect(shellQuote("it's")).toBe(`'it'\\''s'`);
  });

  test('refuses a NUL byte, which no shell argument can carry', () => {
    expect(() => shellQuote('a\0b')).toThrow(/NUL/);
  });

  test('shellAnd stops at the first failure', () => {
    const out = execFileSync('/bin/sh', ['-c', `${shellAnd(shellCommand('false'), shellCommand('echo', 'ran'))} || echo stopped`], { encoding: 'utf8' });
    expect(out).toBe('stopped\n');
  });
});
