// `bulwark bundle export|verify|key`: offline bundles (docs/bundle.md). Export asks Core to make
// and sign the archives, then downloads each into a file created 0600. Verify runs the host's
// own checks here, on the archive, against Core's key or the one given.
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { BulwarkError, KeyFingerprint, type BundleExported } from '../../contract/index.js';
import { formatBytes } from '../../text/bytes.js';
import { extractForCheck } from '../../bundle/archive.js';
import { BundleRefused, checkAge, checkFiles, checkSignature } from '../../bundle-format/verify-bundle.js';
import { client } from '../client.js';
import { readPassphrase, saveOnce } from '../save-file.js';
import type { Cli } from '../command.js';
import { keyValues, safe, table } from '../format.js';
import { flag, json, required, text, wholeNumber } from '../options.js';


export function register(program: Command, cli: Cli): void {
  const { io } = cli;
  const bundle = program.command('bundle').description('offline bundles: signed archives that install a host with no network');

  const exportOptions = {
    host: text('<name>', 'the host to make a bundle for'),
    location: text('<name>', "one bundle for each of the location's hosts (its gateways and load balancer)"),
    output: required('<path>', 'the archive to write (a directory for --location)', { field: 'output', short: '-o' }),
    withPackages: flag('add the Debian packages the host needs (wireguard, keepalived, nginx, haproxy) with their dependencies'),
    packagesFrom: text('<dir>', 'take the .deb files from this directory (on the server\'s machine) instead of apt-get download'),
    passphraseFile: text('<file>', 'seal the secret files inside with the passphrase in this file', { field: 'passphrase' }),
    validDays: wholeNumber('<days>', 'days the bundle can be installed (default 30)', 1),
    os: text('<id-version>', "the host's OS release, such as debian-12, when Core has not seen it"),
    arch: text('<arch>', "the host's architecture (uname -m), such as x86_64, when Core has not seen it"),
    upgrade: flag('only the files changed since the host\'s last bundle (it must have installed that one)'),
    json,
  };
  cli.command(bundle, 'export', "make a host's offline bundle: everything an apply would install, signed by Core", exportOptions, async (o, cmd) => {
    const api = client(cmd);
    const out = resolve(o.output);
    if (o.location !== undefined) mkdirSync(out, { recursive: true });
    else if (existsSync(out) && statSync(out).isDirectory()) throw BulwarkError.field('output', `${out} is a directory; give the archive's file name, such as ${join(out, `${o.host ?? 'host'}.tar.gz`)}`);
    const r = await api.call('bundles.export', {
      ...(o.host === undefined ? {} : { host: o.host }),
      ...(o.location === undefined ? {} : { location: o.location }),
      withPackages: o.withPackages ?? false,
      ...(o.packagesFrom === undefined ? {} : { packagesFrom: resolve(o.packagesFrom) }),
      ...(o.passphraseFile === undefined ? {} : { passphrase: readPassphrase(o.passphraseFile) }),
      ...(o.validDays === undefined ? {} : { validDays: o.validDays }),
      ...(o.os === undefined ? {} : { os: o.os }),
      ...(o.arch === undefined ? {} : { arch: o.arch }),
      upgrade: o.upgrade ?? false,
    });
    const files = new Map<string, string>();
    for (const b of r.bundles) {
      const path = o.location !== undefined ? join(out, b.fileName) : out;
      await saveOnce((write) => api.download('bundles', b.id, write), path);
      files.set(b.id, path);
    }
    if (o.json) return cli.json({ ...r, bundles: r.bundles.map((b) => ({ ...b, path: files.get(b.id) })) });
    io.out(`Signed by Core's bundle key ${r.signingKey}\n`);
    io.out(table(['HOST', 'FILE', 'SIZE', 'FILES', 'SECRETS', 'PACKAGES', 'VALID UNTIL'], r.bundles.map((b) => [b.host, files.get(b.id)!, formatBytes(b.size), String(b.files), `${b.secretFiles}${b.encrypted ? ' sealed' : ''}`, String(b.packages.length), b.notAfter.slice(0, 10)])));
    const first: BundleExported = r.bundles[0]!;
    io.out(
      `\nEach archive holds its host's private keys${first.encrypted ? ', sealed with your passphrase' : ''}: keep it as you keep them, and delete it once installed. It was written readable by you alone (0600).\n` +
        `On the host, as root:\n  tar xzf ${safe(files.get(first.id)!.split('/').at(-1)!)} && ./${safe(first.directory)}/install --expect-key ${r.signingKey}${first.encrypted ? ' --passphrase-file FILE' : ''}\n` +
        `Before a first install, "sha256sum ${safe(first.directory)}/install" there must print ${first.installerSha256} (the same for every bundle of this Bulwark build).\n`,
    );
    for (const w of r.warnings) io.err(`warning: ${w}\n`);
  });

  const verifyOptions = {
    key: text('<fingerprint>', "the signing key's fingerprint (default: this Core's)"),
    json,
  };
  cli.command(bundle, 'verify <file>', "run the host's checks on a bundle here and list what it holds", verifyOptions, async (file, o, cmd) => {
    let expect: string;
    if (o.key !== undefined) {
      const k = KeyFingerprint.safeParse(o.key);
      if (!k.success) throw BulwarkError.field('key', `${o.key}: ${k.error.issues[0]?.message}`);
      expect = k.data;
    } else expect = (await client(cmd).call('bundles.signingKey', {})).fingerprint;
    const scratch = mkdtempSync(join(tmpdir(), 'bulwark-verify-'));
    try {
      let signed;
      try {
        const dir = await extractForCheck(resolve(file), scratch);
        signed = checkSignature(dir, { pinned: null, expect, replacePinned: false, pinnedWhere: '' });
        checkFiles(dir, signed.manifest);
        checkAge(signed.manifest, new Date(), null, false);
      } catch (err) {
        if (err instanceof BundleRefused) {
          io.err(`Bundle refused: the ${err.check} check failed: ${safe(err.message)}\n`);
          return 3;
        }
        throw err;
      }
      const m = signed.manifest;
      if (o.json) return cli.json({ ok: true, signingKey: signed.fingerprint, manifest: m });
      io.out(
        keyValues([
          ['Bundle', `${m.id}${m.baseline ? ` (upgrade of ${m.baseline.id})` : ''}`],
          ['Signed by', `${signed.fingerprint} (good signature)`],
          ['For', `host ${m.target.host}, ${m.target.os.id} ${m.target.os.versionId}, ${m.target.arch}`],
          ['Made', `${m.createdAt} by Bulwark ${m.bulwarkVersion}`],
          ['Valid until', m.notAfter],
          ['Roles', m.host.roles.join(', ') || 'none'],
          ['Secrets', m.encryption ? 'sealed with a passphrase' : 'not sealed: the archive holds private keys in the clear'],
          ['Packages', m.packages ? `${m.packages.files.length} (.deb), to install ${m.packages.install.join(' ')}` : 'none'],
        ]),
      );
      io.out(`\nEvery file matches the signed manifest. On the host it installs:\n`);
      io.out(table(['PATH', 'KIND', 'MODE', 'SIZE', 'FROM'], m.host.files.map((f) => [f.path, f.secret ? `${f.kind} (secret)` : f.kind, f.mode.toString(8), formatBytes(f.size), f.entry ?? 'the host already has it'])));
      io.out(`Units: ${m.host.units.map((u) => u.unit).join(', ')}\n`);
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  });

  const keyOptions = {
    rotate: flag('replace the key with a new one it signs: hosts that pinned it follow with their next bundle (after a leak, see docs/bundle.md)'),
    json,
  };
  cli.command(bundle, 'key', "show the fingerprint of Core's bundle signing key (what a host's first install expects)", keyOptions, async (o, cmd) => {
    const api = client(cmd);
    const before = o.rotate ? (await api.call('bundles.signingKey', {})).fingerprint : null;
    const k = o.rotate ? await api.call('bundles.rotateKey', {}) : await api.call('bundles.signingKey', {});
    if (o.json) return cli.json(k);
    if (!o.rotate) return io.out(`${k.fingerprint}\n`);
    io.out(
      `Rotated Core's bundle signing key:\n  was ${before}\n  now ${k.fingerprint}\n` +
        `The old key signed the new one, and every bundle carries that: a host that pinned the old key installs the next bundle without a flag and pins the new one.\n` +
        `A host's first install now expects --expect-key ${k.fingerprint}. If the old key leaked, do not rely on the rotation: on each host, install with --expect-key ${k.fingerprint} --replace-pinned-key.\n`,
    );
  });
}
