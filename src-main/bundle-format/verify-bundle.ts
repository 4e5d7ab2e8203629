// The checks of an extracted bundle, in the order they must run: the signature against a
// trusted key before anything else is parsed; then every file (hash, size, mode, nothing
// missing, nothing extra, no link); then whether it fits this host (name, OS release,
// architecture), its age (not after, not older than what is installed); then the passphrase.
// Each refusal names the check that failed. Nothing here changes anything.
import { lstatSync, readdirSync, readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { BUNDLE_MANIFEST_FILE, BUNDLE_SIGNATURE_FILE, BundleManifest, type HostManifest } from '../contract/index.js';
import { HOST_RUNTIME, isBulwarkPath, isBulwarkUnit } from '../contract/host-layout.js';
import { fingerprintOf, parseSignatureFile, rotatedTo, verifyManifest } from './signature.js';
import { unlock } from './sealing.js';

export type BundleCheck = 'signature' | 'key' | 'manifest' | 'files' | 'target' | 'expiry' | 'downgrade' | 'passphrase' | 'baseline';

export class BundleRefused extends Error {
  constructor(
    readonly check: BundleCheck,
    message: string,
  ) {
    super(message);
  }
}

/** What the checker trusts: the host's pinned key, and/or the fingerprint the admin typed. */
export interface Trust {
  pinned: Buffer | null;
  expect: string | null;
  /** Replace a pinned key with the expected one (a rotated signing key). */
  replacePinned: boolean;
  /** Where the pinned key lives, for messages. */
  pinnedWhere: string;
}

export interface Signed {
  manifest: BundleManifest;
  manifestSha256: string;
  publicKey: Buffer;
  fingerprint: string;
  /** True when this install pins (or re-pins) the key. */
  pins: boolean;
  /** The pinned key's fingerprint when the bundle's key succeeds it through Core's signed rotations. */
  rotatedFrom: string | null;
}

const MAX_SMALL_FILE = 4 * 1024 * 1024;

function readSmall(dir: string, name: string, check: BundleCheck): Buffer {
  const path = join(dir, name);
  let st;
  try {
    st = lstatSync(path);
  } catch {
    throw new BundleRefused(check, `${name} is missing: this is not a whole Bulwark bundle (extract the archive again; if it fails, copy it again)`);
  }
  if (!st.isFile()) throw new BundleRefused(check, `${name} is not a regular file (a link or a directory was put in its place)`);
  if (st.size > MAX_SMALL_FILE) throw new BundleRefused(check, `${name} is ${st.size} bytes, far more than a bundle's; it was replaced`);
  return readFileSync(path);
}

/** Step 1: the signature, against the trusted key, before the manifest is even parsed. */
export function checkSignature(dir: string, trust: Trust): Signed {
  const sig = parseSignatureFile(readSmall(dir, BUNDLE_SIGNATURE_FILE, 'signature').toString('latin1'));
  if (!sig) throw new BundleRefused('signature', `${BUNDLE_SIGNATURE_FILE} is not a Bulwark bundle signature: it was damaged or replaced`);
  const fingerprint = fingerprintOf(sig.publicKey);
  let pins = false;
  let rotatedFrom: string | null = null;
  if (trust.pinned) {
    const pinnedFp = fingerprintOf(trust.pinned);
    if (pinnedFp !== fingerprint) {
      if (trust.replacePinned && trust.expect === fingerprint) pins = true;
      else if (rotatedTo(trust.pinned, sig.publicKey, sig.rotations) && (trust.expect === null || trust.expect === fingerprint)) {
        // Core rotated its key: each step signed by the key before it, back to the pinned one.
        pins = true;
        rotatedFrom = pinnedFp;
      } else {
        throw new BundleRefused(
          'key',
          `the bundle is signed by key ${fingerprint}, but this host trusts only ${pinnedFp} (pinned in ${trust.pinnedWhere}), and the bundle carries no rotation signed by it that leads there. Either the bundle was re-signed by someone else, or Core's signing key was replaced on purpose: then check the new fingerprint with Core ("bulwark bundle key") and run again with --expect-key NEW --replace-pinned-key`,
        );
      }
    } else if (trust.expect !== null && trust.expect !== fingerprint) {
      throw new BundleRefused('key', `the bundle is signed by the pinned key ${pinnedFp}, not by ${trust.expect}, which you expected; check the fingerprint you typed`);
    }
  } else {
    if (trust.expect === null) {
      throw new BundleRefused(
        'key',
        'this host trusts no signing key yet: run again with --expect-key and the fingerprint of Core\'s signing key, as "bulwark bundle export" printed it or as the UI shows it (do not take it from the bundle itself)',
      );
    }
    if (trust.expect !== fingerprint) {
      throw new BundleRefused('key', `the bundle is signed by key ${fingerprint}, not by ${trust.expect}, the key you expected: it was not made by your Core, or it was re-signed`);
    }
    pins = true;
  }
  const bytes = readSmall(dir, BUNDLE_MANIFEST_FILE, 'signature');
  if (!verifyManifest(sig.publicKey, bytes, sig.signature)) {
    throw new BundleRefused('signature', `${BUNDLE_MANIFEST_FILE} does not match its signature: it was changed after Core signed it`);
  }
  let manifest: BundleManifest;
  try {
    manifest = BundleManifest.parse(JSON.parse(bytes.toString('utf8')));
  } catch (err) {
    throw new BundleRefused('manifest', `the signed manifest is not one this installer reads (${(err as Error).message.split('\n')[0]}); use the installer of the Bulwark version that made it`);
  }
  if (manifest.signingKey !== fingerprint) throw new BundleRefused('manifest', `the manifest names signing key ${manifest.signingKey}, but it is signed by ${fingerprint}`);
  checkConsistency(manifest);
  return { manifest, manifestSha256: createHash('sha256').update(bytes).digest('hex'), publicKey: sig.publicKey, fingerprint, pins, rotatedFrom };
}

/** What a signed manifest says must also make sense: only Bulwark's own paths and units, entries that exist. */
function checkConsistency(m: BundleManifest): void {
  const entries = new Map(m.entries.map((e) => [e.path, e]));
  const bad = (what: string) => {
    throw new BundleRefused('manifest', `the manifest ${what}; this bundle was not made by Bulwark`);
  };
  if (entries.size !== m.entries.length) bad('lists an entry twice');
  for (const p of [m.programs.runtime, m.programs.hostApply]) {
    if (!entries.has(p) && !(p === HOST_RUNTIME && m.baseline !== null)) bad(`names program ${p}, which it does not carry`);
  }
  for (const f of m.host.files) {
    if (!isBulwarkPath(f.path)) bad(`installs ${f.path}, which is not one of Bulwark's paths`);
    if (f.entry === null) {
      if (m.baseline === null) bad(`leaves ${f.path} out, but it is not an upgrade bundle`);
      continue;
    }
    const e = entries.get(f.entry);
    if (!e) bad(`takes ${f.path} from ${f.entry}, which it does not carry`);
    else if (!f.encrypted && (e.sha256 !== f.sha256 || e.size !== f.size)) bad(`gives ${f.path} a digest other than its entry's`);
    if (f.encrypted && m.encryption === null) bad(`seals ${f.path} but has no passphrase record`);
  }
  for (const u of m.host.units) if (!isBulwarkUnit(u.unit)) bad(`runs unit ${u.unit}, which is not one of Bulwark's`);
}

function sha256File(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

/** Every file of the directory, relative, and anything that is neither a file nor a directory. */
function walk(dir: string, rel = '', out: { files: string[]; odd: { path: string; what: string }[] } = { files: [], odd: [] }) {
  for (const name of readdirSync(join(dir, rel)).sort()) {
    const path = rel ? `${rel}/${name}` : name;
    const st = lstatSync(join(dir, path));
    if (st.isDirectory()) walk(dir, path, out);
    else if (st.isFile()) out.files.push(path);
    else out.odd.push({ path, what: st.isSymbolicLink() ? 'a symbolic link' : 'not a regular file' });
  }
  return out;
}

/** Step 2: every file as the manifest says, and nothing else. */
export function checkFiles(dir: string, m: BundleManifest): void {
  const { files, odd } = walk(dir);
  if (odd.length > 0) throw new BundleRefused('files', `${odd[0]!.path} is ${odd[0]!.what}; a bundle holds only regular files, so it was put in after signing`);
  const listed = new Set([BUNDLE_MANIFEST_FILE, BUNDLE_SIGNATURE_FILE, ...m.entries.map((e) => e.path)]);
  const extra = files.filter((f) => !listed.has(f));
  if (extra.length > 0) throw new BundleRefused('files', `${extra.join(', ')} ${extra.length === 1 ? 'is' : 'are'} not in the signed manifest: added after signing`);
  const present = new Set(files);
  const missing = m.entries.filter((e) => !present.has(e.path)).map((e) => e.path);
  if (missing.length > 0) {
    throw new BundleRefused('files', `${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ` and ${missing.length - 5} more` : ''} ${missing.length === 1 ? 'is' : 'are'} missing: the archive was truncated or a file was removed; copy the bundle again`);
  }
  for (const e of m.entries) {
    const st = lstatSync(join(dir, e.path));
    if (st.size !== e.size) throw new BundleRefused('files', `${e.path} is ${st.size} bytes, but the manifest says ${e.size}: it was truncated or changed; copy the bundle again`);
    if ((st.mode & 0o7777) !== e.mode) {
      throw new BundleRefused('files', `${e.path} has mode ${(st.mode & 0o7777).toString(8)}, but the manifest says ${e.mode.toString(8)}; extract the archive as root with tar, which keeps modes`);
    }
    if (sha256File(join(dir, e.path)) !== e.sha256) throw new BundleRefused('files', `${e.path} does not match its SHA-256 in the signed manifest: it was changed after signing`);
  }
}

/** ID and VERSION_ID of an /etc/os-release text (values may be quoted); "unknown" where missing. */
export function osRelease(text: string): { id: string; versionId: string } {
  const field = (name: string) => new RegExp(`^${name}=(?:"([^"]*)"|'([^']*)'|(\\S*))$`, 'm').exec(text)?.slice(1).find((v) => v !== undefined) ?? 'unknown';
  return { id: field('ID'), versionId: field('VERSION_ID') };
}

/** What the installer knows of the host it runs on. */
export interface HostIdentity {
  /** The Bulwark host name a previous bundle recorded here, if any. */
  recorded: string | null;
  /** The machine's hostname. */
  hostname: string;
  os: { id: string; versionId: string };
  arch: string;
}

/** Step 3: for this host, this OS release and this architecture. */
export function checkTarget(m: BundleManifest, h: HostIdentity, claimed: string | null): void {
  const t = m.target;
  if (h.recorded !== null && h.recorded !== t.host) {
    throw new BundleRefused('target', `this bundle is for host ${t.host}, but this machine is Bulwark host ${h.recorded} (recorded by its last bundle); copy ${h.recorded}'s bundle here instead`);
  }
  if (h.recorded === null && t.host !== h.hostname && claimed !== t.host) {
    throw new BundleRefused(
      'target',
      `this bundle is for host ${t.host}, but this machine is called ${h.hostname}. If this machine is ${t.host} under another hostname, run again with --host ${t.host}; otherwise copy ${h.hostname}'s bundle here`,
    );
  }
  if (claimed !== null && claimed !== t.host) throw new BundleRefused('target', `this bundle is for host ${t.host}, not ${claimed}`);
  if (h.arch !== t.arch) throw new BundleRefused('target', `this bundle is for ${t.arch}, but this host is ${h.arch}; export one for this architecture (--arch ${h.arch})`);
  if (h.os.id !== t.os.id || h.os.versionId !== t.os.versionId) {
    throw new BundleRefused('target', `this bundle is for ${t.os.id} ${t.os.versionId}, but this host runs ${h.os.id} ${h.os.versionId}; export one for it (--os ${h.os.id}-${h.os.versionId})`);
  }
}

/** Compares dotted versions numerically ("0.10.0" > "0.9.1"); anything else compares as text. */
export function compareVersions(a: string, b: string): number {
  const pa = a.split(/[.+-]/).map(Number);
  const pb = b.split(/[.+-]/).map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const [x, y] = [pa[i] ?? 0, pb[i] ?? 0];
    if (Number.isNaN(x) || Number.isNaN(y)) return a < b ? -1 : a > b ? 1 : 0;
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

/** Step 4: not expired, and not older than what the host has (unless the admin allows it). */
export function checkAge(m: BundleManifest, now: Date, installed: HostManifest | null, allowDowngrade: boolean): void {
  if (now.getTime() > Date.parse(m.notAfter)) {
    throw new BundleRefused('expiry', `the bundle expired at ${m.notAfter} (it was made at ${m.createdAt}; this host's clock says ${now.toISOString()}); export a new one`);
  }
  if (!installed || allowDowngrade) return;
  const madeAt = installed.madeAt ?? installed.appliedAt;
  if (installed.bulwarkVersion !== undefined && compareVersions(m.bulwarkVersion, installed.bulwarkVersion) < 0) {
    throw new BundleRefused('downgrade', `the bundle holds Bulwark ${m.bulwarkVersion}, older than the ${installed.bulwarkVersion} installed; install a newer bundle, or run with --allow-downgrade to go back on purpose`);
  }
  if (Date.parse(m.createdAt) < Date.parse(madeAt)) {
    const what = installed.bundle ? `bundle ${installed.bundle.id}` : 'an apply';
    throw new BundleRefused(
      'downgrade',
      `the bundle was made at ${m.createdAt}, before what is installed (made at ${madeAt}, by ${what}); install a newer bundle, or run with --allow-downgrade to go back to it on purpose`,
    );
  }
}

/** Step 5: the passphrase of a bundle with sealed secrets; returns the key. */
export function checkPassphrase(m: BundleManifest, passphrase: string | null): Buffer | null {
  if (m.encryption === null) return null;
  if (passphrase === null) throw new BundleRefused('passphrase', 'the bundle\'s secret files are sealed with a passphrase: give it with --passphrase-file FILE');
  const key = unlock(passphrase, m.encryption);
  if (!key) throw new BundleRefused('passphrase', 'wrong passphrase: it does not open the bundle\'s secret files');
  return key;
}
