// bundles.export: one archive per host, with everything an apply would put there (certificates
// issued now, as an apply would), signed by Core's key, written 0600 into the data dir's
// bundles/ for the client to download once (GET /api/v1/bundles/<id>); an archive not fetched
// within an hour is removed. Each export is recorded (table bundle_exports, event
// bundle.exported), so an upgrade bundle knows what the last one installed.
import { randomUUID } from 'node:crypto';
import { lstatSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { BulwarkError, splitRelease, VERSION, type BundleExported, type OsRelease, type ProcOutput, type ProcParsedInput } from '../contract/index.js';
import type { CorePorts } from '../core/ports.js';
import type { HostRow } from '../core/hosts/host-service.js';
import { hostsInScope } from '../provision/scope.js';
import type { ProvisionService } from '../provision/provision-service.js';
import type { Store } from '../store/db.js';
import { fingerprintOf, renderSignatureFile } from '../bundle-format/signature.js';
import { newEncryptionAsync } from '../bundle-format/sealing.js';
import { writeArchive } from './archive.js';
import { bundleTree, type PackageFile } from './bundle-tree.js';
import { downloadPackages, packagesFrom, rolePackages, sha256File } from './packages.js';
import type { BundleSigner } from './signing-key.js';
import { OnceDownloads } from '../platform/once-downloads.js';

export class BundleService {
  private readonly downloads: OnceDownloads;

  constructor(
    private readonly store: Store,
    private readonly ports: CorePorts,
    private readonly provision: ProvisionService,
    private readonly signer: BundleSigner,
    /** The data dir's bundles/ directory. */
    private readonly dir: string,
  ) {
    this.downloads = new OnceDownloads(dir, '.tar.gz', '.build-');
  }

  signingKey(): ProcOutput<'bundles.signingKey'> {
    const k = this.signer.ensure();
    const rotations = this.signer.rotations().map((r) => ({ from: fingerprintOf(r.from), to: fingerprintOf(r.to), rotatedAt: r.rotatedAt }));
    return { fingerprint: k.fingerprint, publicKey: k.publicKey.toString('base64'), createdAt: k.createdAt, rotations };
  }

  /** A new signing key, endorsed by the current one: hosts that pinned it follow with their next bundle. */
  rotateKey(): ProcOutput<'bundles.rotateKey'> {
    this.signer.rotate((tx, from, to) => tx.event({ kind: 'bundle.key_rotated', subject: 'bundle-key', details: { from: from.fingerprint, to: to.fingerprint } }));
    return this.signingKey();
  }

  /** The archive of an export, until it is downloaded; null when there is none (any more). */
  archive(id: string): { path: string; size: number } | null {
    return this.downloads.file(id);
  }

  /** Removes an archive once it was downloaded. */
  discard(id: string): void {
    this.downloads.discard(id);
  }

  async export(input: ProcParsedInput<'bundles.export'>): Promise<ProcOutput<'bundles.export'>> {
    // The same hosts as the location's apply: its gateways and its load balancer.
    const names = this.store.read((tx) => hostsInScope(tx, input.host !== undefined ? { host: input.host } : { location: input.location! }).map((h) => h.row.name));
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    this.downloads.sweep();
    const key = this.signer.ensure();
    const warnings: string[] = [];
    const bundles: BundleExported[] = [];
    for (const name of names) bundles.push(await this.exportOne(name, input, key.fingerprint, warnings));
    return { signingKey: key.fingerprint, bundles, warnings: [...new Set(warnings)] };
  }

  private platformOf(row: HostRow, input: ProcParsedInput<'bundles.export'>): { os: OsRelease; arch: string } {
    const recorded = row.os_id && row.os_version && row.arch ? { os: { id: row.os_id, versionId: row.os_version }, arch: row.arch } : null;
    const given = input.os !== undefined ? splitRelease(input.os) : null;
    if (!recorded && (!given || input.arch === undefined)) {
      throw BulwarkError.field(
        given ? 'arch' : 'os',
        `Bulwark has not seen host ${row.name}, so it does not know its OS release and architecture; run "bulwark host check ${row.name}" if Core can reach it over SSH, or give them, such as --os debian-12 --arch x86_64 (ID-VERSION_ID of its /etc/os-release, and uname -m)`,
      );
    }
    return {
      os: given ? { id: given[0], versionId: given[1] } : recorded!.os,
      arch: input.arch ?? recorded!.arch,
    };
  }

  private async exportOne(name: string, input: ProcParsedInput<'bundles.export'>, fingerprint: string, warnings: string[]): Promise<BundleExported> {
    const { row, desired, needs, artifacts } = await this.provision.resolve(name);
    const target = { host: row.name, ...this.platformOf(row, input) };
    if (target.arch !== artifacts.info.arch) {
      throw BulwarkError.field('arch', `host ${row.name} is ${target.arch}, but this Bulwark ships its runtime for ${artifacts.info.arch}; a bundle for ${target.arch} needs a Bulwark built on ${target.arch}`);
    }
    const pending = desired.files.find((f) => f.source.kind === 'pending');
    if (pending) {
      throw BulwarkError.field('host', `host ${row.name} needs ${pending.path}, which Core does not have yet (${pending.source.kind === 'pending' ? pending.source.what : ''}); for the edge balancer, set the public certificate first ("bulwark edge public")`);
    }
    if (desired.files.length === 0) throw BulwarkError.field('host', `host ${row.name} has no role, so a bundle would install nothing; make it a gateway or an edge first`);

    const now = this.ports.now();
    const id = randomUUID();
    const createdAt = now.toISOString();
    const notAfter = new Date(now.getTime() + input.validDays * 86_400_000).toISOString();
    const baseline = input.upgrade ? this.baselineOf(row) : null;

    let packages: { files: PackageFile[]; install: string[] } | null = null;
    if (input.withPackages) {
      const install = rolePackages(needs);
      const files = input.packagesFrom !== undefined ? await packagesFrom(input.packagesFrom, install) : await downloadPackages(install, target, join(this.dir, 'packages-cache', `${target.os.id}-${target.os.versionId}-${target.arch}`));
      packages = { files, install };
      warnings.push(`The packages are today's: a bundle does not get Debian's security updates; export again after they are published (or update the host from a mirror).`);
    }
    const sealing = input.passphrase !== undefined ? await newEncryptionAsync(input.passphrase) : null;
    const tree = bundleTree({
      id,
      createdAt,
      notAfter,
      version: VERSION,
      fingerprint,
      target,
      desired,
      needs,
      artifacts: { runtime: artifacts.runtime, hostApply: artifacts.hostApply, installer: artifacts.bundleInstall },
      packages,
      sealing,
      baseline,
    });
    const manifest = Buffer.from(`${JSON.stringify(tree.manifest, null, 2)}\n`);
    const signature = renderSignatureFile({ publicKey: this.signer.ensure().publicKey, signature: this.signer.sign(manifest, fingerprint), rotations: this.signer.rotations() });
    const out = this.downloads.pathFor(id);
    await writeArchive(out, join(this.dir, `.build-${id}`), tree.directory, tree.entries, manifest, signature);
    const size = lstatSync(out).size;
    const sha256 = await sha256File(out);
    const secretFiles = tree.manifest.host.files.filter((f) => f.secret && f.entry !== null).length;
    this.store.write((tx) => {
      tx.run(
        'INSERT INTO bundle_exports (id, host_id, created_at, not_after, files, upgrade_of) VALUES (?, ?, ?, ?, ?, ?)',
        id,
        row.id,
        createdAt,
        notAfter,
        JSON.stringify(tree.manifest.host.files.map((f) => ({ path: f.path, sha256: f.sha256, mode: f.mode }))),
        baseline?.id ?? null,
      );
      // Bulwark's files are on their way to this host: removing it from Core now needs an uninstall (or --force).
      tx.run('UPDATE hosts SET provisioned_at = COALESCE(provisioned_at, ?) WHERE id = ?', createdAt, row.id);
      if (!row.os_id) tx.run('UPDATE hosts SET os_id = ?, os_version = ?, arch = ? WHERE id = ?', target.os.id, target.os.versionId, target.arch, row.id);
      tx.event({
        kind: 'bundle.exported',
        subject: `host:${row.name}`,
        details: { id, files: tree.manifest.host.files.length, secretFiles, encrypted: sealing !== null, packages: packages?.files.length ?? 0, signingKey: fingerprint, notAfter, upgradeOf: baseline?.id ?? null },
      });
    });
    return {
      id,
      host: row.name,
      fileName: `${tree.directory}.tar.gz`,
      directory: tree.directory,
      size,
      sha256,
      createdAt,
      notAfter,
      files: tree.manifest.host.files.length,
      secretFiles,
      encrypted: sealing !== null,
      packages: packages?.files.map((p) => p.name) ?? [],
      installerSha256: tree.installerSha256,
      upgradeOf: baseline?.id ?? null,
    };
  }

  /** What the host's last bundle installed: an upgrade bundle leaves out what is unchanged since. */
  private baselineOf(row: HostRow) {
    const last = this.store.read((tx) => tx.get<{ id: string; created_at: string; files: string }>('SELECT id, created_at, files FROM bundle_exports WHERE host_id = ? ORDER BY created_at DESC, rowid DESC LIMIT 1', row.id));
    if (!last) throw BulwarkError.field('upgrade', `no bundle was exported for host ${row.name} yet, so there is nothing to upgrade from; export a full bundle first`);
    const files = new Map((JSON.parse(last.files) as { path: string; sha256: string; mode: number }[]).map((f) => [f.path, { sha256: f.sha256, mode: f.mode }]));
    return { id: last.id, createdAt: last.created_at, files };
  }
}
