import { describe, expect, test } from 'vitest';
import { formatBytes } from './bytes.js';
import { formatAge, formatDuration } from './duration.js';
import { lastLines } from './last-lines.js';

describe('formatBytes', () => {
  test.each([
    [0, '0 B'],
    [1023, '1023 B'],
    [1536, '1.5 KiB'],
    [5 * 1024 * 1024, '5.0 MiB'],
    [3 * 1024 ** 3, '3.0 GiB'],
    [2 * 1024 ** 5, '2048.0 TiB'],
  ])('%d bytes is %s', (n, text) => expect(formatBytes(n)).toBe(text));
});

describe('lastLines', () => {
  test('keeps the last lines that say something, without trailing blanks', () => {
    expect(lastLines('a\n\n  \nb  \nc\n', 2)).toEqual(['b', 'c']);
  });
  test('drops lines that match the noise pattern', () => {
    expect(lastLines('x\nsyntax is ok\ny', 5, /syntax is ok/)).toEqual(['x', 'y']);
  });
});

describe('formatDuration', () => {
  test.each([
    [0, '0 ms'],
    [372.4, '372 ms'],
    [1000, '1.0 s'],
    [2140, '2.1 s'],
    [59_949, '59.9 s'],
    [185_000, '3 min 5 s'],
  ])('%d ms is %s', (ms, text) => expect(formatDuration(ms)).toBe(text));
});

describe('formatAge', () => {
  test.each([
    [0, '0 s'],
    [12_400, '12 s'],
    [300_000, '5 min'],
    [303_000, '5 min 3 s'],
    [3 * 3600_000 + 120_000 + 5000, '3 h 2 min'],
    [4 * 86_400_000 + 3 * 3600_000 + 59_000, '4 d 3 h'],
    [-5000, '0 s'],
  ])('%d ms is %s', (ms, text) => expect(formatAge(ms)).toBe(text));
});
