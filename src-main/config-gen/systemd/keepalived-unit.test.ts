// Test data source: testdata/keepalived/*.json are hand-written models (the host layout's
// paths); the .service files are the generator's reviewed output. Regenerate with
// `npx vitest run --config test/vitest.config.ts -u`. Where systemd-analyze exists (Debian, CI),
// the unit is verified by it too.
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { goldenFiles } from '../../../test/helpers/golden.js';
import { tempDir } from '../../../test/helpers/server.js';
import { hasCommand } from '../../../test/helpers/tools.js';
import { KEEPALIVED_UNIT, renderKeepalivedUnit, type KeepalivedUnitModel } from './keepalived-unit.js';

describe('renderKeepalivedUnit', () => {
  const { cases, load } = goldenFiles<KeepalivedUnitModel>(join(import.meta.dirname, 'testdata/keepalived'), 'service', renderKeepalivedUnit);

  test('a changed configuration is re-read in place (SIGHUP), so an apply need not restart keepalived for it', () => {
    expect(renderKeepalivedUnit(load('keepalived'))).toMatch(/^ExecReload=\/bin\/kill -HUP \$MAINPID$/m);
  });

  test('refuses a path that would need quoting', () => {
    expect(() => renderKeepalivedUnit({ ...load('keepalived'), configFile: '/etc/bulwark/keep alived.conf' })).toThrow(/plain absolute path/);
  });

  test.skipIf(!hasCommand('systemd-analyze') && process.env.CI !== 'true')('systemd-analyze verify accepts it', () => {
    using tmp = tempDir();
    for (const name of cases) {
      const exe = join(tmp.dir, 'keepalived');
      writeFileSync(exe, '#!/bin/sh\n');
      chmodSync(exe, 0o755);
      const unitDir = join(tmp.dir, `units-${name}`);
      mkdirSync(unitDir, { recursive: true });
      const file = join(unitDir, KEEPALIVED_UNIT);
      writeFileSync(file, renderKeepalivedUnit({ ...load(name), program: exe }));
      const out = execFileSync('systemd-analyze', ['verify', file], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
      expect(out).toBe('');
    }
  });
});
