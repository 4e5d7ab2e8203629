// Builds dist/bulwark_<version>_<arch>.deb: headless Core, the CLI, the UI and the agents with
// their Node runtime (which runs Core too), and the production node_modules, without the
// build's leftovers. Needs "npm run build" first (npm run package:deb does both).
// BULWARK_DEB_VERSION overrides the version (the upgrade test builds a second one),
// BULWARK_DEB_OUT the directory it is written to, BULWARK_DEB_COMPRESSION xz (default) or gzip.
import { execFileSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const root = fileURLToPath(new URL('..', import.meta.url));
const res = join(root, 'resources/deb');
const dist = join(root, 'dist');
if (!existsSync(join(dist, 'bulwark.mjs')) || !existsSync(join(dist, 'agents/build.json'))) throw new Error('dist/ is not built; run "npm run build" first');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const version = process.env.BULWARK_DEB_VERSION ?? pkg.version;
const arch = execFileSync('dpkg', ['--print-architecture'], { encoding: 'utf8' }).trim();
const outDir = process.env.BULWARK_DEB_OUT ?? dist;
const compression = process.env.BULWARK_DEB_COMPRESSION ?? 'xz';
if (!['xz', 'gzip'].includes(compression)) throw new Error(`BULWARK_DEB_COMPRESSION=${compression}: use xz or gzip`);
const stage = join(outDir, `.deb-${process.pid}`);
const lib = join(stage, 'usr/lib/bulwark');

const skip = (path) => /\.(map|d\.ts|d\.mts|d\.cts|md)$/.test(path) && !/LICEN[CS]E/i.test(path);
// What no dependency needs at run time: its tests, examples, benchmarks and development dot files.
const devOnly = (rel) => rel.split('/').some((seg, i, all) => (i < all.length - 1 || true) && (/^(test|tests|__tests__|example|examples|benchmark|benchmarks|integration|\.github)$/.test(seg) || /^\.(eslintrc.*|npmignore|gitattributes|gitignore|travis\.yml|editorconfig|nycrc.*|prettierrc.*|taprc|airtap\.yml|jshintrc|eslintignore|c8rc\.json)$/.test(seg)));
try {
  rmSync(stage, { recursive: true, force: true });
  // The built program: the CLI and server with its chunks, the UI, the agents and the runtime.
  mkdirSync(lib, { recursive: true });
  for (const entry of ['bulwark.mjs', 'chunks', 'renderer', 'agents']) cpSync(join(dist, entry), join(lib, entry), { recursive: true, filter: (p) => !skip(p) });
  // Run by the package's own runtime (/usr/bin/bulwark), never through a #! line.
  for (const f of ['bulwark.mjs', ...readdirSync(join(lib, 'chunks')).map((c) => `chunks/${c}`)]) {
    if (f.endsWith('.mjs')) writeFileSync(join(lib, f), readFileSync(join(lib, f), 'utf8').replace(/^#!.*\n/, ''));
  }
  writeFileSync(join(lib, 'package.json'), `${JSON.stringify({ name: 'bulwark', version, private: true, type: 'module' }, null, 2)}\n`);
  // The production dependencies, each package's own files (its nested node_modules come as their own entries).
  const deps = execFileSync('npm', ['ls', '--omit=dev', '--all', '--parseable'], { cwd: root, encoding: 'utf8' }).trim().split('\n').slice(1);
  for (const dir of deps) {
    const to = join(lib, relative(root, dir));
    cpSync(dir, to, {
      recursive: true,
      filter: (p) => {
        const rel = relative(dir, p);
        if (rel.split('/').includes('node_modules') || devOnly(rel) || rel.endsWith('.html')) return false;
        // better-sqlite3: the addon, not its sources and build tree.
        if (dir.endsWith('/better-sqlite3') && /^(deps|src|build\/(?!Release(\/better_sqlite3\.node)?$))/.test(rel)) return false;
        return !skip(p);
      },
    });
  }
  // Every file 0644 but the runtime; no debugging symbols in the runtime and the SQLite addon
  // (the runtime shrinks by 12 MiB, also in what provisioning and bundles put on hosts).
  execFileSync('find', [lib, '-type', 'f', '-exec', 'chmod', '0644', '{}', '+']);
  const runtime = join(lib, 'agents/runtime/node');
  execFileSync('strip', [runtime]);
  chmodSync(runtime, 0o755);
  execFileSync('strip', ['--strip-unneeded', join(lib, 'node_modules/better-sqlite3/build/Release/better_sqlite3.node')]);
  // The command, the unit, the user, the settings, the docs.
  const put = (from, to, mode) => {
    mkdirSync(dirname(join(stage, to)), { recursive: true });
    cpSync(from, join(stage, to));
    chmodSync(join(stage, to), mode);
  };
  put(join(res, 'bulwark.sh'), 'usr/bin/bulwark', 0o755);
  put(join(res, 'bulwark.service'), 'lib/systemd/system/bulwark.service', 0o644);
  put(join(res, 'sysusers.conf'), 'usr/lib/sysusers.d/bulwark.conf', 0o644);
  put(join(res, 'default'), 'etc/default/bulwark', 0o644);
  put(join(res, 'copyright'), 'usr/share/doc/bulwark/copyright', 0o644);
  put(join(root, 'README.md'), 'usr/share/doc/bulwark/README.md', 0o644);
  put(join(res, 'lintian-overrides'), 'usr/share/lintian/overrides/bulwark', 0o644);
  const changelog = `bulwark (${version}) stable; urgency=medium\n\n  * Release ${version}.\n\n -- Bulwark <admin@example.com>  ${new Date(Number(process.env.SOURCE_DATE_EPOCH ?? 0) * 1000 || Date.now()).toUTCString().replace(/GMT$/, '+0000')}\n`;
  writeFileSync(join(stage, 'usr/share/doc/bulwark/changelog.gz'), gzipSync(changelog, { level: 9 }));
  chmodSync(join(stage, 'usr/share/doc/bulwark/changelog.gz'), 0o644);

  // DEBIAN/: control with the installed size, the maintainer scripts, the conffile.
  const du = Number(execFileSync('du', ['-sk', '--exclude=DEBIAN', stage], { encoding: 'utf8' }).split('\t')[0]);
  mkdirSync(join(stage, 'DEBIAN'));
  writeFileSync(join(stage, 'DEBIAN/control'), readFileSync(join(res, 'control'), 'utf8').replace('@VERSION@', version).replace('@ARCH@', arch).replace('@SIZE@', String(du)));
  for (const s of ['postinst', 'prerm', 'postrm']) put(join(res, s), `DEBIAN/${s}`, 0o755);
  writeFileSync(join(stage, 'DEBIAN/conffiles'), '/etc/default/bulwark\n');
  // md5sums of every file, as dpkg --verify and lintian expect.
  const files = [];
  const walk = (d) => {
    for (const n of readdirSync(d)) {
      const p = join(d, n);
      if (p === join(stage, 'DEBIAN')) continue;
      if (statSync(p).isDirectory()) walk(p);
      else files.push(relative(stage, p));
    }
  };
  walk(stage);
  const sums = execFileSync('md5sum', files.sort(), { cwd: stage, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  writeFileSync(join(stage, 'DEBIAN/md5sums'), sums);
  // Directories 0755 and files without group or other write, owned by root in the archive.
  execFileSync('chmod', ['-R', 'go-w', stage]);
  execFileSync('find', [stage, '-type', 'd', '-exec', 'chmod', '0755', '{}', '+']);
  const out = join(outDir, `bulwark_${version}_${arch}.deb`);
  execFileSync('dpkg-deb', ['--root-owner-group', `-Z${compression}`, '--build', stage, out], { stdio: ['ignore', 'ignore', 'inherit'] });
  console.log(`${out}: ${(statSync(out).size / 1024 / 1024).toFixed(1)} MiB`);
} finally {
  rmSync(stage, { recursive: true, force: true });
}
