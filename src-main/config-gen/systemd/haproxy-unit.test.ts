// Test data source: testdata/haproxy/*.json are hand-written models (the host layout's paths);
// the .service files are the generator's reviewed output. Regenerate with
// `npx vitest run --config test/vitest.config.ts -u`. Where systemd-analyze exists (Debian, CI),
// the unit is verified by it too; test/lab/edge-config.test.ts starts and reloads it on a lab host.
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { goldenFiles } from '../../../test/helpers/golden.js';
import { tempDir } from '../../../test/helpers/server.js';
import { hasCommand } from '../../../test/helpers/tools.js';
import { HAPROXY_CONF, HAPROXY_PROGRAM, HAPROXY_RUN_DIR, HAPROXY_UNIT } from '../../contract/host-layout.js';
import { renderHaproxyUnit, type HaproxyUnitModel } from './haproxy-unit.js';

describe('renderHaproxyUnit', () => {
  const { cases, load } = goldenFiles<HaproxyUnitModel>(join(import.meta.dirname, 'testdata/haproxy'), 'service', renderHaproxyUnit);

  test('the golden model is the host layout', () => {
    expect(load('haproxy')).toEqual({ program: HAPROXY_PROGRAM, configFile: HAPROXY_CONF, runDir: HAPROXY_RUN_DIR });
  });

  test('master-worker under systemd, the configuration checked before a start or reload, reloads hitless', () => {
    const unit = renderHaproxyUnit(load('haproxy'));
    expect(unit).toMatch(/^Type=notify$/m);
    expect(unit).toMatch(/^ExecStartPre=\/usr\/sbin\/haproxy -c -q -f \/etc\/bulwark\/haproxy\.cfg$/m);
    expect(unit).toMatch(/^ExecStart=\/usr\/sbin\/haproxy -Ws -f \/etc\/bulwark\/haproxy\.cfg -p \/run\/bulwark-haproxy\/haproxy\.pid$/m);
    // The check comes first: a bad configuration fails the reload, and the old one keeps serving.
    expect(unit).toMatch(/^ExecReload=\/usr\/sbin\/haproxy -c -q -f \/etc\/bulwark\/haproxy\.cfg\nExecReload=\/bin\/kill -USR2 \$MAINPID$/m);
    expect(unit).toMatch(/^RuntimeDirectory=bulwark-haproxy$/m);
    for (const line of ['KillMode=mixed', 'Restart=always', 'NoNewPrivileges=yes', 'ProtectSystem=full', 'ProtectHome=yes', 'PrivateTmp=yes']) expect(unit).toContain(`\n${line}\n`);
  });

  test('refuses a path that would need quoting, and a run directory that is not its RuntimeDirectory', () => {
    expect(() => renderHaproxyUnit({ ...load('haproxy'), configFile: '/etc/bulwark/ha proxy.cfg' })).toThrow(/plain absolute path/);
    expect(() => renderHaproxyUnit({ ...load('haproxy'), program: 'haproxy' })).toThrow(/plain absolute path/);
    expect(() => renderHaproxyUnit({ ...load('haproxy'), runDir: '/var/run/haproxy' })).toThrow(/RuntimeDirectory/);
  });

  test.skipIf(!hasCommand('systemd-analyze') && process.env.CI !== 'true')('systemd-analyze verify accepts it', () => {
    using tmp = tempDir();
    for (const name of cases) {
      const exe = join(tmp.dir, 'haproxy');
      writeFileSync(exe, '#!/bin/sh\n');
      chmodSync(exe, 0o755);
      const unitDir = join(tmp.dir, `units-${name}`);
      mkdirSync(unitDir, { recursive: true });
      const file = join(unitDir, HAPROXY_UNIT);
      writeFileSync(file, renderHaproxyUnit({ ...load(name), program: exe }));
      const out = execFileSync('systemd-analyze', ['verify', file], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
      expect(out).toBe('');
    }
  });
});
