// The endpoint book survives a restart: a standby restarted while Core is down still knows
// where its clients are. A real file in a temporary directory.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { tempDir } from '../../test/helpers/server.js';
import { EndpointBook } from './endpoints.js';

const K1 = 'A'.repeat(43) + '=';
const K2 = 'B'.repeat(43) + '=';

describe('EndpointBook', () => {
  test('keeps the newest sighting, ignores what is not an endpoint, and reloads what it saved', () => {
    using tmp = tempDir();
    const file = join(tmp.dir, 'endpoints.json');
    const book = EndpointBook.load(file, ['hq']);
    book.note('hq', K1, '198.51.100.7:51820', 100);
    book.note('hq', K1, '198.51.100.8:40000', 90); // older: ignored
    book.note('hq', K2, '(none)', 120);
    book.note('hq', K2, '[2001:db8::7]:51820', 120);
    book.save(file);
    const again = EndpointBook.load(file, ['hq', 'other']);
    expect([...again.of('hq')]).toEqual([
      [K1, { endpoint: '198.51.100.7:51820', at: 100 }],
      [K2, { endpoint: '[2001:db8::7]:51820', at: 120 }],
    ]);
    // A location this gateway no longer serves is not loaded.
    expect(EndpointBook.load(file, ['other']).of('hq').size).toBe(0);
  });

  test('saves only after a change, and a damaged file is an empty book', () => {
    using tmp = tempDir();
    const file = join(tmp.dir, 'endpoints.json');
    const book = EndpointBook.load(file, ['hq']);
    book.save(file);
    expect(() => readFileSync(file)).toThrow(/ENOENT/);
    book.note('hq', K1, '198.51.100.7:51820', 100);
    book.save(file);
    book.forget('hq', K1);
    book.save(file);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ hq: {} });
    writeFileSync(file, '{"hq": {"x": ');
    expect(EndpointBook.load(file, ['hq']).of('hq').size).toBe(0);
  });
});
