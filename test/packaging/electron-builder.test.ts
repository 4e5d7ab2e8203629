// The desktop installer's config, which cannot be built here (no Electron binary): checked
// against the JSON schema electron-builder ships (app-builder-lib/scheme.json), and for what
// the app needs: every platform's target, the native addon and the agents outside the asar,
// the app's id, name and icon.
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { describe, expect, test } from 'vitest';
import { parse } from 'yaml';
import { ROOT } from '../helpers/server.js';

const require = createRequire(import.meta.url);
const schema = JSON.parse(readFileSync(require.resolve('app-builder-lib/scheme.json'), 'utf8')) as object;
const validate = new Ajv({ strict: false, allErrors: true }).compile(schema);
const config = parse(readFileSync(join(ROOT, 'electron-builder.yml'), 'utf8')) as Record<string, Record<string, unknown>>;

describe('electron-builder.yml', () => {
  test("is valid by electron-builder's own schema; a misspelt key is not", () => {
    expect(validate(config), JSON.stringify(validate.errors, null, 2)).toBe(true);
    expect(validate({ ...config, linux: { ...config.linux, tagret: ['deb'] } })).toBe(false);
    expect(validate.errors?.some((e) => e.params && 'additionalProperty' in e.params && e.params.additionalProperty === 'tagret')).toBe(true);
  });

  test('targets, unpacked files, id, name and icons', () => {
    expect(config.linux!.target).toEqual(['AppImage', 'deb']);
    expect(config.win!.target).toEqual(['nsis']);
    expect(config.mac!.target).toEqual(['dmg']);
    expect(config.asarUnpack).toEqual(expect.arrayContaining(['node_modules/better-sqlite3/**/*', 'dist/agents/**/*']));
    expect(config).toMatchObject({ appId: 'dev.bulwark.desktop', productName: 'Bulwark', extraMetadata: { main: 'dist/main.cjs' } });
    for (const p of ['linux', 'mac', 'win']) {
      const icon = join(ROOT, String(config[p]!.icon));
      expect(existsSync(icon), `${p} icon ${icon}`).toBe(true);
      // electron-builder makes each platform's icon from a PNG of at least 512x512 (a PNG's size is at bytes 16-23).
      const png = readFileSync(icon);
      expect([png.readUInt32BE(16), png.readUInt32BE(20)]).toEqual([1024, 1024]);
    }
  });
});
