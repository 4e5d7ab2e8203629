// The container image (resources/kubernetes/Containerfile) built from the .deb with podman, and
// run as the StatefulSet runs it: its args and env read from statefulset.yaml, uid 10001, a
// read-only root, no capabilities, no network but loopback, the Secrets mounted 0440 for the
// group (fsGroup), the volume group-owned. Core answers the probes' paths over HTTPS, the CLI in
// the container (kubectl exec) needs no flags, a new container on the same volume (the pod
// moved) has the data, and a regenerated secret key stops Core at start with the fix.
//
// FAKE: the base image. No registry serves debian:12-slim here, so the lab's plain Debian 12
// root (the bare image, without its apt sources) is imported and given to the build as its FROM.
// Everything else is real: podman, runc, the Containerfile's steps, the package, Core.
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, existsSync, mkdirSync, readdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { ensureBareImage } from './image.js';
import { labMissing } from './scenario.js';
import { until } from '../helpers/agent.js';
import { ROOT, selfSignedCert } from '../helpers/server.js';

const UID = 10001;
const podmanMissing = spawnSync('podman', ['--version']).status === 0 && spawnSync('runc', ['--version']).status === 0 ? null : 'podman and runc are not installed (apt-get install podman runc)';
const missing = labMissing() ?? podmanMissing;
if (missing && process.env.CI === 'true') throw new Error(`the container test cannot run: ${missing}`);

interface Container {
  args: string[];
  env: { name: string; value: string }[];
  volumeMounts: { name: string; mountPath: string; readOnly?: boolean }[];
  startupProbe: { httpGet: { path: string } };
  livenessProbe: { httpGet: { path: string } };
}
const statefulSet = parseAllDocuments(readFileSync(join(ROOT, 'resources/kubernetes/statefulset.yaml'), 'utf8'))[0]!.toJS() as { spec: { template: { spec: { containers: Container[] } } } };
const core = statefulSet.spec.template.spec.containers[0]!;
const mountOf = (name: string) => core.volumeMounts.find((m) => m.name === name)!.mountPath;

describe.skipIf(missing !== null)('the container image', () => {
  const work = mkdtempSync(join(tmpdir(), 'bulwark-container-'));
  // podman's own storage for this test alone (vfs: no mounts to leave behind), removed after it.
  const podmanRoot = ['--root', join(work, 'storage'), '--runroot', join(work, 'run'), '--storage-driver', 'vfs', '--cgroup-manager', 'cgroupfs', '--runtime', 'runc'];
  const podman = (args: string[], input?: Buffer) => spawnSync('podman', [...podmanRoot, ...args], { input, encoding: 'utf8', timeout: 300_000, maxBuffer: 64 * 1024 * 1024 });
  // podman keeps a cache and a network dir in system places whatever --root says: removed after
  // the test when it made them.
  const systemDirs = ['/var/lib/containers', '/run/containers'].filter((d) => !existsSync(d));
  const volume = join(work, 'volume');
  const secrets = join(work, 'secrets');
  const tls = join(work, 'tls');

  /** The Secrets' files as Kubernetes mounts them: root's, 0440, the group fsGroup. */
  const secretFiles = () => {
    for (const dir of [secrets, tls]) {
      for (const f of readdirSync(dir)) {
        chownSync(join(dir, f), 0, UID);
        chmodSync(join(dir, f), 0o440);
      }
    }
  };

  /** Runs the image as the StatefulSet's container; returns the container's name. */
  const run = (name: string, secretKey: Buffer) => {
    writeFileSync(join(secrets, 'secret.key'), secretKey);
    secretFiles();
    const env = core.env.flatMap((e) => ['--env', `${e.name}=${e.value}`]);
    const r = podman([
      'run', '--detach', '--name', name,
      '--user', `${UID}:${UID}`, '--read-only', '--cap-drop', 'ALL', '--security-opt', 'no-new-privileges', '--network', 'none',
      // The machine's own limits (this sandbox may not raise them).
      '--ulimit', 'nofile=4096:4096', '--ulimit', 'nproc=4096:4096',
      '--volume', `${volume}:${mountOf('data')}`,
      '--volume', `${secrets}:${mountOf('secrets')}:ro`,
      '--volume', `${tls}:${mountOf('tls')}:ro`,
      '--tmpfs', mountOf('tmp'),
      ...env, 'localhost/bulwark-core:test', ...core.args,
    ]);
    expect(r.status, r.stderr).toBe(0);
    return name;
  };
  const exec = (name: string, cmd: string[]) => podman(['exec', name, ...cmd]);
  /** A GET as the kubelet's HTTPS probe makes it: Host: localhost, the certificate not checked. */
  const probe = (name: string, path: string) =>
    exec(name, ['/usr/lib/bulwark/agents/runtime/node', '-e', `require('https').get({ host: '127.0.0.1', port: 7420, path: '${path}', headers: { host: 'localhost' }, rejectUnauthorized: false }, (r) => { let b = ''; r.on('data', (d) => (b += d)); r.on('end', () => console.log(r.statusCode, b)); }).on('error', (e) => console.log('error', e.code))`]).stdout.trim();

  beforeAll(() => {
    const base = ensureBareImage();
    // The base: the bare image's root without apt sources (the build must not need the network).
    const tar = execFileSync('tar', ['-C', base.dir, '--exclude=./etc/apt/sources.list', '--exclude=./etc/apt/sources.list.d/*', '-c', '.'], { maxBuffer: 1024 * 1024 * 1024 });
    const imported = podman(['import', '-', 'localhost/bulwark-base:test'], tar);
    expect(imported.status, imported.stderr).toBe(0);
    const context = join(work, 'context');
    mkdirSync(context);
    execFileSync(process.execPath, [join(ROOT, 'resources/package-deb.mjs')], { env: { ...process.env, BULWARK_DEB_OUT: context, BULWARK_DEB_COMPRESSION: 'gzip' } });
    // chroot isolation: this machine's cgroups are hybrid, which the OCI runtime of a build refuses.
    const built = podman(['build', '--isolation', 'chroot', '--pull=never', '--from', 'localhost/bulwark-base:test', '-f', join(ROOT, 'resources/kubernetes/Containerfile'), '-t', 'localhost/bulwark-core:test', context]);
    expect(built.status, built.stdout + built.stderr).toBe(0);

    // As Kubernetes lays them out: the volume's root group-owned (fsGroup), the Secrets' files
    // root's with the group's read (defaultMode 0440).
    for (const dir of [volume, secrets, tls]) mkdirSync(dir);
    chownSync(volume, 0, UID);
    chmodSync(volume, 0o2770);
    writeFileSync(join(secrets, 'token'), `${randomBytes(32).toString('base64url')}\n`);
    const cert = selfSignedCert(work, 'bulwark-core.bulwark.svc', 'DNS:bulwark-core.bulwark.svc');
    writeFileSync(join(tls, 'tls.crt'), readFileSync(cert.cert));
    writeFileSync(join(tls, 'tls.key'), readFileSync(cert.key));
  }, 600_000);

  afterAll(() => {
    // Every container of this test's own storage, also one whose start failed half-way.
    podman(['rm', '--all', '--force', '--time', '5']);
    podman(['rmi', '--all', '--force']);
    rmSync(work, { recursive: true, force: true });
    for (const dir of systemDirs) rmSync(dir, { recursive: true, force: true });
  }, 120_000);

  test('runs as the StatefulSet says: probes answer, the CLI needs no flags, the data outlives the container', async () => {
    const key = randomBytes(32);
    const first = run('bulwark-core-a', key);
    await until('Core to be ready', () => probe(first, core.startupProbe.httpGet.path).startsWith('200 '), 60_000);
    expect(probe(first, core.livenessProbe.httpGet.path)).toMatch(/^200 /);
    expect(exec(first, ['id', '-u']).stdout.trim()).toBe(String(UID));
    expect(exec(first, ['touch', '/usr/lib/bulwark/x']).status).not.toBe(0);
    // kubectl exec: the CLI finds Core through BULWARK_DATA_DIR, dials loopback and pins the certificate.
    const add = exec(first, ['bulwark', 'location', 'add', 'hq', '--network', '10.78.0.0/24', '--endpoint', 'vpn.example.com']);
    expect(add.status, add.stderr).toBe(0);
    expect(exec(first, ['bulwark', 'status']).status).toBe(0);
    // The token and the key stay in the Secret: none of them lands on the volume.
    expect(execFileSync('find', [volume, '-name', 'token', '-o', '-name', 'secret.key'], { encoding: 'utf8' })).toBe('');
    expect(podman(['stop', '--time', '30', first]).status).toBe(0);
    expect(podman(['inspect', first, '--format', '{{.State.ExitCode}}']).stdout.trim()).toBe('0');

    // The pod moved: a new container on the same volume with the same Secret.
    const second = run('bulwark-core-b', key);
    await until('the second Core to be ready', () => probe(second, '/readyz').startsWith('200 '), 60_000);
    expect(exec(second, ['bulwark', 'location', 'list']).stdout).toMatch(/^hq\s/m);
    podman(['stop', '--time', '30', second]);

    // A Secret made again with a new secret.key: Core stops at start and says why.
    const third = run('bulwark-core-c', randomBytes(32));
    await until('the third container to stop', () => podman(['inspect', third, '--format', '{{.State.Status}}']).stdout.trim() === 'exited', 60_000);
    const logs = podman(['logs', third]);
    expect(logs.stderr + logs.stdout).toMatch(/the secret key is not the one this database was made with/);
  }, 300_000);
});
