// Test data source: testdata/*.json are hand-written models; the .service files are the
// generator's reviewed output. Regenerate with `npx vitest run --config test/vitest.config.ts -u`.
// Where systemd-analyze exists (it does on Debian and in CI), every unit is also verified by it.
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { goldenFiles } from '../../../test/helpers/golden.js';
import { tempDir } from '../../../test/helpers/server.js';
import { hasCommand } from '../../../test/helpers/tools.js';
import { renderAgentUnit, systemdQuote, unitName, type AgentUnitModel } from './agent-unit.js';


describe('renderAgentUnit', () => {
  const { cases, load } = goldenFiles<AgentUnitModel>(join(import.meta.dirname, 'testdata'), 'service', renderAgentUnit);

  test('a gateway may manage the network and use TUN; an edge may not', () => {
    const gw = renderAgentUnit(load('gateway'));
    const edge = renderAgentUnit(load('edge'));
    expect(gw).toMatch(/^CapabilityBoundingSet=CAP_NET_ADMIN CAP_NET_RAW$/m);
    expect(gw).toMatch(/^DeviceAllow=\/dev\/net\/tun rw$/m);
    expect(edge).toMatch(/^CapabilityBoundingSet=CAP_NET_BIND_SERVICE$/m);
    expect(edge).toMatch(/^PrivateDevices=yes$/m);
    for (const unit of [gw, edge]) {
      for (const line of ['NoNewPrivileges=yes', 'ProtectSystem=strict', 'Restart=on-failure']) expect(unit).toContain(`\n${line}\n`);
    }
  });

  test('refuses a program path that systemd would refuse', () => {
    expect(() => renderAgentUnit({ ...load('gateway'), execStart: ['/opt/x "y"/node'] })).toThrow(/program path/);
    expect(() => renderAgentUnit({ ...load('gateway'), execStart: ['node'] })).toThrow(/absolute path/);
  });

  test('quotes words the way systemd reads them', () => {
    expect(systemdQuote('/opt/bulwark/bin/node')).toBe('/opt/bulwark/bin/node');
    expect(systemdQuote('a b')).toBe('"a b"');
    expect(systemdQuote('$HOME')).toBe('"$$HOME"');
    expect(systemdQuote('100%')).toBe('"100%%"');
    expect(systemdQuote('say "hi"')).toBe('"say \\"hi\\""');
  });

  test('issue #11: a carriage return or other control character is escaped, never written raw into the unit', () => {
    expect(systemdQuote('a\rb')).toBe('"a\\rb"');
    expect(systemdQuote('a\nb\tc')).toBe('"a\\nb\\tc"');
    expect(systemdQuote('bell\u0007')).toBe('"bell\\x07"');
    const unit = renderAgentUnit({ ...load('gateway'), execStart: ['/opt/bulwark/bin/node', 'x\r\ny'] });
    expect(unit).not.toMatch(/\r/);
    expect(unit).toContain('ExecStart=/opt/bulwark/bin/node "x\\r\\ny"');
    expect(() => systemdQuote('nul\0')).toThrow(/NUL/);
  });

  test.skipIf(!hasCommand('systemd-analyze') && process.env.CI !== 'true')('systemd-analyze verify accepts every unit', () => {
    using tmp = tempDir();
    for (const name of cases) {
      const model = load(name);
      // verify checks that the program exists: point it at real executables with the same shape.
      const bin = join(tmp.dir, name, 'bin dir');
      mkdirSync(bin, { recursive: true });
      const exe = join(bin, 'node');
      writeFileSync(exe, '#!/bin/sh\n');
      chmodSync(exe, 0o755);
      const unitDir = join(tmp.dir, name, 'units');
      mkdirSync(unitDir, { recursive: true });
      const file = join(unitDir, unitName(model.role));
      writeFileSync(file, renderAgentUnit({ ...model, execStart: [exe, ...model.execStart.slice(1)] }));
      const out = execFileSync('systemd-analyze', ['verify', file], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
      expect(out).toBe('');
    }
  });
});
