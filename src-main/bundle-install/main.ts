// bulwark bundle installer: runs on the host, as root, from an extracted offline bundle (its
// `install` launcher checks this program and the runtime against digests it carries, then runs
// it). Before anything changes it checks the bundle (bundle-format/verify-bundle.ts: the
// signature against the pinned or given key first), then installs the packages the host lacks
// from the bundle, works out what changes exactly as an SSH apply's inspect does, stages the
// files and commits them through host-apply, with the same backup and rollback. Then it pins
// the signing key and the host's Bulwark name, so later bundles need no flag.
//
// This folder is the program's own: output.ts (its step lines), local-host.ts (the host, read
// locally), packages.ts (apt from the bundle), stage.ts, commit.ts. It may import the contract,
// text, host-state and bundle-format, nothing of Core's; only resources/build.mjs bundles it.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { KeyFingerprint, type BundleManifest } from '../contract/index.js';
import { BUNDLE_HOST_NAME, BUNDLE_PINNED_KEY, BUNDLE_TRUST_DIR, HOST_MANIFEST } from '../contract/host-layout.js';
import { BundleRefused, checkAge, checkFiles, checkPassphrase, checkSignature, checkTarget, type Signed } from '../bundle-format/verify-bundle.js';
import { renderPinnedKey } from '../bundle-format/signature.js';
import { applyOrder } from '../host-state/apply-order.js';
import { changesOf, isUpToDate, type HostChanges } from '../host-state/changes.js';
import type { DesiredFile, DesiredHost } from '../host-state/desired.js';
import { describeProblems, preflightProblems } from '../host-state/preflight.js';
import { commit } from './commit.js';
import { facts, identity, installedManifest, observe, pinnedKey } from './local-host.js';
import { Printer, timed } from './output.js';
import { installFromBundle } from './packages.js';
import { discardStaging, stage, type Source } from './stage.js';

process.on('SIGHUP', () => undefined);
process.on('SIGPIPE', () => undefined);

const USAGE = `usage: sudo ./install [--expect-key SHA256:…] [options]

Checks this offline bundle and installs it on this host.
  --expect-key FP         the fingerprint of Core's signing key ("bulwark bundle export" prints it);
                          needed on a host that never installed a bundle
  --replace-pinned-key    trust --expect-key instead of the key pinned here (after a key rotation)
  --passphrase-file FILE  the passphrase the secret files are sealed with
  --host NAME             this machine is host NAME, whatever its hostname
  --allow-downgrade       install although the host has something newer
  --check                 run every check and show what would change; change nothing
  --json                  one JSON line per step
`;

/** Exit codes: 0 installed or up to date; 1 failed and rolled back; 2 the rollback failed too; 3 refused; 64 usage; 75 another apply runs. */
async function main(): Promise<number> {
  let args;
  try {
    args = parseArgs({
      options: {
        bundle: { type: 'string' },
        'expect-key': { type: 'string' },
        'replace-pinned-key': { type: 'boolean', default: false },
        'passphrase-file': { type: 'string' },
        host: { type: 'string' },
        'allow-downgrade': { type: 'boolean', default: false },
        check: { type: 'boolean', default: false },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', default: false },
      },
      strict: true,
    }).values;
  } catch (err) {
    process.stderr.write(`install: ${(err as Error).message}\n${USAGE}`);
    return 64;
  }
  if (args.help || !args.bundle) {
    process.stdout.write(USAGE);
    return args.help ? 0 : 64;
  }
  let expect: string | null = null;
  if (args['expect-key'] !== undefined) {
    const fp = KeyFingerprint.safeParse(args['expect-key']);
    if (!fp.success) {
      process.stderr.write(`install: --expect-key ${fp.error.issues[0]?.message}\n`);
      return 64;
    }
    expect = fp.data;
  }
  if (!args.check && process.getuid?.() !== 0) {
    process.stderr.write('install: run it as root (sudo ./install …); --check runs the checks without root\n');
    return 64;
  }
  const dir = args.bundle;
  const here = identity();
  const p = new Printer(args.host ?? here.hostname, args.json);

  // 1-5: the bundle's checks, before anything changes.
  let signed: Signed;
  let key: Buffer | null;
  try {
    signed = await timed(p, 'check', 'signature, files, target, age', () => {
      const s = checkSignature(dir, { pinned: pinnedKey(), expect, replacePinned: args['replace-pinned-key'], pinnedWhere: BUNDLE_PINNED_KEY });
      checkFiles(dir, s.manifest);
      checkTarget(s.manifest, here, args.host ?? null);
      checkAge(s.manifest, new Date(), installedManifest(), args['allow-downgrade']);
      return s;
    }, (s) => `signed by ${s.fingerprint}${s.rotatedFrom ? ` (Core's key after the pinned ${s.rotatedFrom}, by its signed rotation)` : ''}; ${s.manifest.entries.length} files as signed; for ${s.manifest.target.host} (${s.manifest.target.os.id} ${s.manifest.target.os.versionId}, ${s.manifest.target.arch}); made ${s.manifest.createdAt}`);
    const passphrase = args['passphrase-file'] === undefined ? null : readPassphrase(args['passphrase-file']);
    key = signed.manifest.encryption ? await timed(p, 'check', 'the passphrase', () => checkPassphrase(signed.manifest, passphrase), () => 'opens the secret files') : null;
  } catch (err) {
    if (err instanceof BundleRefused) {
      p.result('refused', `the ${err.check} check failed: ${err.message}. Nothing on this host was changed.`);
      return 3;
    }
    p.result('refused', `${(err as Error).message}. Nothing on this host was changed.`);
    return 3;
  }
  const m = signed.manifest;
  const host = m.target.host;
  const out = new Printer(host, args.json);
  const { desired, sources } = desiredOf(dir, m);

  try {
    // The packages the host lacks, from the bundle; then the same preflight as an SSH apply's.
    const f = await timed(out, 'preflight', 'OS, packages, ports', () => {
      let seen = facts();
      let problems = preflightProblems(seen, m.host.needs);
      const wanted = [...new Set(problems.flatMap((x) => x.packages))];
      if (problems.length > 0 && m.packages && wanted.length > 0 && problems.every((x) => x.packages.length > 0)) {
        const available = new Set(m.packages.install);
        const missing = wanted.filter((w) => !available.has(w));
        if (missing.length > 0) throw new Error(`${describeProblems(host, problems)}\nThe bundle does not carry ${missing.join(' ')}; export it again with --with-packages`);
        if (args.check) {
          // Nothing is installed by a check: it says what the install would add, and goes on as if it had.
          out.step({ step: 'preflight', status: 'ok', message: `would install ${wanted.join(' ')} from the bundle with apt-get` });
          problems = [];
        } else {
          out.step({ step: 'preflight', status: 'started', message: `installing ${wanted.join(' ')} from the bundle with apt-get` });
          installFromBundle(join(dir, m.packages.dir), m.packages.files, wanted);
          seen = facts();
          problems = preflightProblems(seen, m.host.needs);
        }
      }
      if (problems.length > 0) {
        const hint = m.packages ? '' : '\nExport the bundle with --with-packages to carry the missing packages, or install them first.';
        throw new Error(`${describeProblems(host, problems).replace(/\nInstall .*$/s, '')}${hint}`);
      }
      return seen;
    }, (f) => `${f.os}, ${f.arch}`);

    const observed = observe(desired, installedManifest(), f.activeUnits);
    const changes = await timed(out, 'inspect', 'comparing files and units with the bundle', () => {
      checkBaseline(m, observed.files);
      return changesOf(desired, observed);
    }, describe);
    if (args.check) {
      for (const c of changes.files) out.step({ step: 'inspect', status: 'ok', message: `would ${c.action} ${c.path}` });
      for (const u of changes.units) out.step({ step: 'inspect', status: 'ok', message: `would ${u.action} ${u.unit}` });
      out.result('checked', isUpToDate(changes) ? 'the bundle is good and the host is up to date with it' : 'the bundle is good; nothing was changed (--check)');
      return 0;
    }
    if (isUpToDate(changes)) {
      pin(signed, host);
      out.result('up_to_date', `the host already has everything in bundle ${m.id}`);
      return 0;
    }
    const now = new Date().toISOString();
    const order = applyOrder({ desired, changes, run: `bundle-${m.id}`, handover: null, appliedAt: now, madeAt: m.createdAt, bundle: { id: m.id, createdAt: m.createdAt } });
    await timed(out, 'stage', `${changes.write.length} file${changes.write.length === 1 ? '' : 's'} from the bundle`, () => {
      try {
        stage(dir, order, changes.write, sources, key, join(dir, m.programs.hostApply));
      } catch (err) {
        discardStaging(order);
        throw err;
      }
    });
    // An upgrade bundle may run on the host's own runtime (an absolute path), else the bundle's.
    const runtime = m.programs.runtime.startsWith('/') ? m.programs.runtime : join(dir, m.programs.runtime);
    const r = await commit(order, runtime, out);
    if (r.outcome === 'applied') {
      pin(signed, host);
      out.result('installed', `bundle ${m.id} is installed; ${HOST_MANIFEST} records it. Once Core reaches this host, its agents link up`);
      return 0;
    }
    // host-apply never ran: nothing changed, and its staging would be left behind.
    if (r.outcome === 'busy' || r.outcome === 'no_result') discardStaging(order);
    out.result(r.outcome === 'rolled_back' ? 'rolled_back' : 'failed', r.outcome === 'rolled_back' ? `${r.message}\nThe host was rolled back to its previous files and units.` : r.message);
    return r.outcome === 'rollback_failed' ? 2 : r.outcome === 'busy' ? 75 : 1;
  } catch (err) {
    if (err instanceof BundleRefused) {
      out.result('refused', `the ${err.check} check failed: ${err.message}. Nothing on this host was changed.`);
      return 3;
    }
    out.result('failed', `${(err as Error).message}\nNothing Bulwark installs was changed: the failure came before the commit.`);
    return 1;
  }
}

function readPassphrase(file: string): string {
  try {
    return readFileSync(file, 'utf8').replace(/\r?\n$/, '');
  } catch (err) {
    throw new Error(`cannot read the passphrase file ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

/** The host's desired state as the bundle carries it: each file's bytes come from its entry. */
function desiredOf(dir: string, m: BundleManifest): { desired: DesiredHost; sources: Map<string, Source> } {
  const sources = new Map<string, Source>();
  const files: DesiredFile[] = m.host.files.map((f) => {
    if (f.entry !== null) sources.set(f.path, { entry: f.entry, encrypted: f.encrypted });
    return {
      path: f.path,
      kind: f.kind,
      mode: f.mode,
      sha256: f.sha256,
      size: f.size,
      secret: f.secret,
      source: f.entry === null ? { kind: 'pending', what: 'already on the host (upgrade bundle)' } : { kind: 'artifact', artifact: { localPath: join(dir, f.entry), sha256: f.sha256, size: f.size } },
    };
  });
  return { desired: { host: m.target.host, roles: m.host.roles, files, units: m.host.units }, sources };
}

/** An upgrade bundle leaves out files the host must already have, exactly. */
function checkBaseline(m: BundleManifest, seen: Map<string, { sha256: string; mode: number }>): void {
  for (const f of m.host.files) {
    if (f.entry !== null) continue;
    const s = seen.get(f.path);
    if (!s || s.sha256 !== f.sha256 || s.mode !== f.mode) {
      throw new BundleRefused('baseline', `this upgrade bundle (made against bundle ${m.baseline?.id}) leaves out ${f.path}, but this host does not have it as that bundle installed it; install a full bundle`);
    }
  }
}

function describe(c: HostChanges): string {
  return isUpToDate(c) ? 'up to date' : `${c.files.length} file${c.files.length === 1 ? '' : 's'} and ${c.units.length} unit${c.units.length === 1 ? '' : 's'} to change`;
}

/** The key and the host's Bulwark name, kept for later bundles. */
function pin(signed: Signed, host: string): void {
  mkdirSync(BUNDLE_TRUST_DIR, { recursive: true, mode: 0o700 });
  writeFileSync(BUNDLE_PINNED_KEY, renderPinnedKey(signed.publicKey), { mode: 0o600 });
  writeFileSync(BUNDLE_HOST_NAME, `${host}\n`, { mode: 0o600 });
}

main().then(
  (code) => (process.exitCode = code),
  (err: Error) => {
    process.stderr.write(`install: ${err.stack ?? err.message}\n`);
    process.exitCode = 70;
  },
);
