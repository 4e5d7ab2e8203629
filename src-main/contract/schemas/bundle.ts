// Offline bundles: a signed archive with everything an apply would put on one host, which an
// installer on the host checks and commits without any network (docs/bundle.md). The manifest
// below is what the signature covers; the installer parses it only after the signature checked.
import { z } from 'zod';
import { ResourceName } from './common.js';
import { ArchText, OsReleaseText } from './host.js';
import { FileKind } from './provision.js';
import { DesiredUnit } from './host-apply.js';

export const BUNDLE_FORMAT = 'bulwark-bundle/1';
/** The files every bundle has at its top, besides its entries. */
export const BUNDLE_MANIFEST_FILE = 'manifest.json';
export const BUNDLE_SIGNATURE_FILE = 'manifest.sig';

/** "SHA256:" and the unpadded base64 of the SHA-256 of the raw 32-byte Ed25519 public key (as OpenSSH writes fingerprints). */
export const KeyFingerprint = z
  .string()
  .trim()
  .regex(/^SHA256:[A-Za-z0-9+/]{43}$/, 'is not a signing key fingerprint; give it as printed by "bulwark bundle export", such as SHA256:Xb3…(43 characters after the colon)');

const Sha256Hex = z.string().regex(/^[0-9a-f]{64}$/);

/**
 * A path inside the bundle: relative, "/"-separated segments of a safe alphabet, none of them
 * "." or "..". Nothing in a bundle can name a place outside it.
 */
export const BundlePath = z
  .string()
  .max(200)
  .regex(/^[A-Za-z0-9_][A-Za-z0-9._~+%-]*(\/[A-Za-z0-9_][A-Za-z0-9._~+%-]*)*$/, 'must be a relative path of letters, digits, ".", "_", "-", "~", "+" and "%" (no "..", no leading "/")')
  .refine((p) => !p.split('/').some((s) => s === '.' || s === '..'), 'must not contain "." or ".." segments');

/** A file of the bundle, as the archive holds it. */
export const BundleEntry = z.strictObject({
  path: BundlePath,
  sha256: Sha256Hex,
  size: z.number().int().nonnegative(),
  /** Only these modes occur: programs 0755, everything else 0644, secrets 0600. */
  mode: z.union([z.literal(0o755), z.literal(0o644), z.literal(0o600)]),
});
export type BundleEntry = z.infer<typeof BundleEntry>;

/** A file the host should have, and the entry of the bundle that carries it. */
export const BundleHostFile = z.strictObject({
  /** Absolute path on the host (one of the host layout's). */
  path: z.string().regex(/^\/[A-Za-z0-9._/-]+$/),
  kind: FileKind,
  mode: z.number().int().min(0).max(0o7777),
  /** SHA-256 and size of the file as installed (the plaintext of an encrypted entry). */
  sha256: Sha256Hex,
  size: z.number().int().nonnegative(),
  secret: z.boolean(),
  /** The bundle entry with its bytes; null in an upgrade bundle when the host must already have exactly this file. */
  entry: BundlePath.nullable(),
  /** The entry is sealed with the bundle's passphrase (scrypt, AES-256-GCM; the host path is its associated data). */
  encrypted: z.boolean(),
});
export type BundleHostFile = z.infer<typeof BundleHostFile>;

/** What the host's preflight checks: its roles' packages, ports, and the runtime's architecture. */
export const HostNeeds = z.strictObject({
  host: z.string(),
  sshUser: z.string(),
  /** uname -m the runtime is built for, e.g. "x86_64". */
  runtimeArch: z.string(),
  gateway: z.boolean(),
  /** A gateway of a location whose floating IP keepalived holds. */
  keepalived: z.boolean(),
  edge: z.boolean(),
  /** The load balancer of lb-mode locations (nginx stream, run by the balancer agent). */
  balancer: z.boolean(),
  /** The HAProxy in front of the edges. */
  edgeBalancer: z.boolean(),
  /** TCP ports our agents listen on, with the unit that owns each. */
  tcpPorts: z.array(z.strictObject({ port: z.number().int(), unit: z.string(), what: z.string() })),
  /** UDP ports the gateway (WireGuard) or the balancer (nginx) binds, with the unit that owns each. */
  udpPorts: z.array(z.strictObject({ port: z.number().int(), unit: z.string(), what: z.string() })),
});
export type HostNeeds = z.infer<typeof HostNeeds>;

/** The OS release a bundle is for, from /etc/os-release: ID and VERSION_ID ("debian", "12"). */
export const OsRelease = z.strictObject({ id: z.string().regex(/^[a-z0-9._-]+$/), versionId: z.string().regex(/^[A-Za-z0-9._~-]+$/) });
export type OsRelease = z.infer<typeof OsRelease>;

/** How files are sealed with a passphrase (a bundle's secrets, a backup): scrypt's parameters, and "bulwark" sealed the same way, to tell a wrong passphrase before anything else. */
export const PassphraseSealing = z.strictObject({
  kdf: z.literal('scrypt'),
  salt: z.string(),
  N: z.number().int(),
  r: z.number().int(),
  p: z.number().int(),
  check: z.string(),
});

/** A passphrase typed by the admin: at least 12 characters; never stored or logged. */
export const Passphrase = z
  .string()
  .max(1024)
  .refine((v) => v.length >= 12, 'is too short; use at least 12 characters');

export const BundleManifest = z.strictObject({
  format: z.literal(BUNDLE_FORMAT),
  id: z.string().regex(/^[a-z0-9-]{8,64}$/),
  /** When Core made it (Core's clock); a host refuses a bundle older than what it has installed. */
  createdAt: z.iso.datetime(),
  /** The host refuses it after this. */
  notAfter: z.iso.datetime(),
  bulwarkVersion: z.string(),
  /** The fingerprint of the key that signs it (the signature file carries the key itself). */
  signingKey: KeyFingerprint,
  target: z.strictObject({ host: ResourceName, os: OsRelease, arch: z.string() }),
  /** Every file of the bundle but the manifest and its signature. Nothing else may be there. */
  entries: z.array(BundleEntry),
  /** The programs the installer runs: the runtime (an upgrade bundle may use the host's own, /opt/bulwark/bin/node, which its baseline installed), host-apply. */
  programs: z.strictObject({ runtime: z.union([BundlePath, z.literal('/opt/bulwark/bin/node')]), hostApply: BundlePath }),
  host: z.strictObject({
    roles: z.array(z.string()),
    files: z.array(BundleHostFile),
    units: z.array(DesiredUnit),
    needs: HostNeeds,
  }),
  /** Debian packages in a local apt repository inside the bundle, and those to install from it. */
  packages: z.strictObject({ dir: BundlePath, install: z.array(z.string()), files: z.array(z.string()) }).nullable(),
  /** Set when secret entries are sealed with a passphrase. check: "bulwark" sealed the same way, to tell a wrong passphrase before anything else. */
  encryption: PassphraseSealing.nullable(),
  /** An upgrade bundle: the bundle it was made against. Files the host must already have carry no entry. */
  baseline: z.strictObject({ id: z.string(), createdAt: z.iso.datetime() }).nullable(),
});
export type BundleManifest = z.infer<typeof BundleManifest>;

/** bundles.export: one host, or every host of a location. */
export const BundleExportInput = z
  .strictObject({
    host: ResourceName.optional(),
    location: ResourceName.optional(),
    /** Add the Debian packages the host's roles need, with their dependencies, as a local apt repository. */
    withPackages: z.boolean().default(false),
    /** Take the packages from this directory of .deb files (on Core's machine) instead of apt-get download. */
    packagesFrom: z.string().min(1).optional(),
    /** Seal the secret files with this passphrase (at least 12 characters). It is never stored or logged. */
    passphrase: Passphrase.optional(),
    /** Days the bundle stays installable; 1-365, default 30. */
    validDays: z.number().int().min(1).max(365).default(30),
    /** The target's OS release ("debian-12") when Core has not seen the host (host check records it). */
    os: OsReleaseText.optional(),
    /** The target's architecture (uname -m, such as x86_64) when Core has not seen the host. */
    arch: ArchText.optional(),
    /** An upgrade bundle: only the files that changed since the last bundle exported for the host. */
    upgrade: z.boolean().default(false),
  })
  .superRefine((v, ctx) => {
    if ((v.host === undefined) === (v.location === undefined)) ctx.addIssue({ code: 'custom', path: ['host'], message: 'give either a host or a location' });
    if (v.packagesFrom !== undefined && !v.withPackages) ctx.addIssue({ code: 'custom', path: ['packagesFrom'], message: 'goes with withPackages (--with-packages)' });
  });

export const BundleExported = z.object({
  id: z.string(),
  host: z.string(),
  /** The archive's file name, to download with GET /api/v1/bundles/<id>. */
  fileName: z.string(),
  /** The top directory inside the archive. */
  directory: z.string(),
  size: z.number().int(),
  sha256: z.string(),
  createdAt: z.string(),
  notAfter: z.string(),
  files: z.number().int(),
  secretFiles: z.number().int(),
  encrypted: z.boolean(),
  packages: z.array(z.string()),
  /** The SHA-256 of the installer launcher: the same for every bundle of this Bulwark build. */
  installerSha256: z.string(),
  upgradeOf: z.string().nullable(),
});
export type BundleExported = z.infer<typeof BundleExported>;

export const BundleExportOutput = z.object({
  signingKey: KeyFingerprint,
  bundles: z.array(BundleExported),
  warnings: z.array(z.string()),
});
export type BundleExportOutput = z.infer<typeof BundleExportOutput>;

export const BundleSigningKey = z.object({
  fingerprint: KeyFingerprint,
  publicKey: z.string(),
  createdAt: z.string(),
  /** Each rotation so far, oldest first: the old key signed the new one, and every bundle carries these. */
  rotations: z.array(z.object({ from: KeyFingerprint, to: KeyFingerprint, rotatedAt: z.string() })),
});
