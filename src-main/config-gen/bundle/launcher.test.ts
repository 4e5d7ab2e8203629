// The launcher: golden files, and the script itself run by sh: it runs the installer only when
// both programs match the digests written into it.
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { goldenFiles } from '../../../test/helpers/golden.js';
import { renderLauncher, type LauncherModel } from './launcher.js';

describe('bundle launcher', () => {
  goldenFiles<LauncherModel>(join(import.meta.dirname, 'testdata'), 'sh', renderLauncher);

  test('runs the installer only when the runtime and the installer match its digests', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bulwark-launcher-'));
    try {
      mkdirSync(join(dir, 'bin'));
      // A stand-in runtime: sh itself, which runs the "installer" script.
      const runtime = execFileSync('sh', ['-c', 'command -v sh'], { encoding: 'utf8' }).trim();
      writeFileSync(join(dir, 'bin/node'), execFileSync('cat', [runtime]));
      chmodSync(join(dir, 'bin/node'), 0o755);
      writeFileSync(join(dir, 'bin/bundle-install.mjs'), 'echo "installer ran with $*"\n');
      const sha = (p: string) => createHash('sha256').update(execFileSync('cat', [join(dir, p)])).digest('hex');
      writeFileSync(join(dir, 'install'), renderLauncher({ runtime: { path: 'bin/node', sha256: sha('bin/node') }, installer: { path: 'bin/bundle-install.mjs', sha256: sha('bin/bundle-install.mjs') } }), { mode: 0o755 });
      const ok = spawnSync(join(dir, 'install'), ['--check'], { encoding: 'utf8' });
      expect(ok.stdout).toBe(`installer ran with --bundle ${dir} --check\n`);
      writeFileSync(join(dir, 'bin/bundle-install.mjs'), 'echo "a changed installer"\n');
      const bad = spawnSync(join(dir, 'install'), [], { encoding: 'utf8' });
      expect(bad.status).toBe(3);
      expect(bad.stdout).toBe('');
      expect(bad.stderr).toMatch(/does not match the digest in this launcher/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
