import { z } from 'zod';
import { parseEndpoint } from '../../net/endpoint.js';
import { parseInterfaceAddress } from '../../net/ip.js';
import { ResourceName, Timestamp, unicodeProblem } from './common.js';

export const DEFAULT_SSH_PORT = 22;

export interface SshTarget {
  user: string;
  address: string;
  port: number;
}

const USER = /^[a-z_][a-z0-9_-]{0,31}$/;

export function parseSshTarget(text: string): { ok: true; value: SshTarget } | { ok: false; reason: string } {
  const fix = 'use USER@ADDRESS[:PORT], such as root@198.51.100.11 or admin@gw-1.example.com:2222';
  const at = text.indexOf('@');
  if (at < 0) return { ok: false, reason: `"${text}" has no user; ${fix}` };
  const user = text.slice(0, at);
  if (!USER.test(user)) return { ok: false, reason: `"${user}" is not a valid user name; ${fix}` };
  const ep = parseEndpoint(text.slice(at + 1), DEFAULT_SSH_PORT);
  if (!ep.ok) return { ok: false, reason: ep.reason.replace(/use HOST or HOST:PORT.*$/, fix) };
  return { ok: true, value: { user, address: ep.value.host, port: ep.value.port } };
}

/** SSH destination as USER@ADDRESS[:PORT]; the port defaults to 22. */
export const SshTargetText = z.string().superRefine((v, ctx) => {
  const r = parseSshTarget(v);
  if (!r.ok) ctx.addIssue({ code: 'custom', message: r.reason });
});

export const HostAuth = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('agent') }),
  /** identityFile: absolute path of a private key readable by the Bulwark server. */
  z.object({ kind: z.literal('key'), identityFile: z.string() }),
]);

export const Host = z.object({
  name: z.string(),
  sshUser: z.string(),
  sshAddress: z.string(),
  sshPort: z.number().int(),
  /** How Bulwark authenticates: the running ssh-agent, or a private key file. */
  auth: HostAuth,
  /** Pinned SSH host key as "SHA256:…"; null until the admin accepts it at first contact. */
  hostKeyFingerprint: z.string().nullable(),
  createdAt: Timestamp,
  /** Roles the host plays: "gateway:<location>" or "edge"; empty when unused. */
  roles: z.array(z.string()),
  /** The LAN as the last host check saw it: the interface and address/prefix that carry the SSH address; null before a check. */
  lan: z.object({ interface: z.string(), address: z.string() }).nullable(),
  /** What the host runs, as the last host check saw it (ID-VERSION_ID of /etc/os-release, uname -m), or as given at a bundle export; null before either. An offline bundle must match it. */
  platform: z.object({ os: z.string(), arch: z.string() }).nullable(),
  /**
   * Whether Bulwark's agents may be on it, and since when: by an apply over SSH (when it last
   * ran), or by an offline bundle (when the first was exported; Core cannot see the install
   * itself, only the agent's link once it is up). Null when none are: never applied, or uninstalled.
   */
  agents: z.object({ by: z.enum(['apply', 'bundle']), at: Timestamp }).nullable(),
  /** When Core last exported an offline bundle for it; null when never. */
  lastBundle: Timestamp.nullable(),
});
export type Host = z.infer<typeof Host>;

export const HostCreateInput = z.strictObject({
  name: ResourceName,
  ssh: SshTargetText,
  /** Absolute path of the SSH private key; absent means use the ssh-agent. */
  identityFile: z
    .string()
    .superRefine((v, ctx) => {
      const unicode = unicodeProblem(v);
      if (!v.startsWith('/')) ctx.addIssue({ code: 'custom', message: `"${v}" is not an absolute path; give the full path of the private key` });
      else if (/[\u0000-\u001f]/.test(v)) ctx.addIssue({ code: 'custom', message: 'contains a control character; give a plain file path' });
      else if (unicode) ctx.addIssue({ code: 'custom', message: unicode });
    })
    .optional(),
});
export type HostCreateInput = z.input<typeof HostCreateInput>;

export const HostRef = z.strictObject({ name: ResourceName });

/** An OS release as ID-VERSION_ID of /etc/os-release, such as "debian-12". */
export const OsReleaseText = z.string().regex(/^[a-z0-9._-]+-[A-Za-z0-9._~]+$/, 'give it as ID-VERSION_ID from the host\'s /etc/os-release, such as "debian-12"');
/** "debian-12" → ["debian", "12"], "opensuse-leap-15.5" → ["opensuse-leap", "15.5"]: an ID may have a "-", a VERSION_ID has none. */
export function splitRelease(release: string): [string, string] {
  const i = release.lastIndexOf('-');
  return [release.slice(0, i), release.slice(i + 1)];
}

/** An architecture as uname -m prints it, such as "x86_64". */
export const ArchText = z.string().regex(/^[a-z0-9_]+$/, 'give it as uname -m prints it, such as x86_64');

/** A Linux interface name: 1-15 letters, digits, ".", "_" or "-" (what keepalived's interface line takes). */
export const InterfaceName = z.string().regex(/^[A-Za-z0-9_.-]{1,15}$/, 'is not an interface name; give it as "ip -br address" prints it without any "@…" suffix, such as eth0, ens18 or eth0.10 (at most 15 letters, digits, ".", "_" or "-")');

/** An IPv4 address with its LAN's prefix, as on the interface ("198.51.100.11/24"). */
export const LanAddress = z.string().superRefine((v, ctx) => {
  if (v.trim() === '') return void ctx.addIssue({ code: 'custom', message: 'is empty; give the host\'s IPv4 address with its LAN\'s prefix, such as 198.51.100.11/24' });
  const r = parseInterfaceAddress(v);
  if (!r.ok) ctx.addIssue({ code: 'custom', message: r.reason });
  else if (r.value.family !== 4) ctx.addIssue({ code: 'custom', message: `"${v}" is an IPv6 address; the LAN a floating IP goes on is IPv4, such as 198.51.100.11/24` });
});

/**
 * hosts.update: what a host check would learn, for a host Core cannot reach over SSH (one
 * installed from offline bundles). A later host check replaces both with what it sees.
 */
export const HostUpdateInput = z
  .strictObject({
    name: ResourceName,
    /** The interface and address/prefix of the host's LAN (where a floating IP goes). */
    lan: z.strictObject({ interface: InterfaceName, address: LanAddress }).optional(),
    /** Its OS release and architecture (what an offline bundle must match). */
    platform: z.strictObject({ os: OsReleaseText, arch: ArchText }).optional(),
  })
  .superRefine((v, ctx) => {
    if (v.lan === undefined && v.platform === undefined) ctx.addIssue({ code: 'custom', path: ['lan'], message: 'give the LAN, the platform or both' });
  });
export type HostUpdateInput = z.input<typeof HostUpdateInput>;

export const HostRemoveInput = z.strictObject({
  name: ResourceName,
  /** Forget a host that still has Bulwark's agents (say, a machine that is gone for good). */
  force: z.boolean().default(false),
});

/** An OpenSSH SHA-256 host key fingerprint, as ssh-keygen -lf prints it. */
export const Fingerprint = z.string().superRefine((v, ctx) => {
  if (!/^SHA256:[A-Za-z0-9+/]{43}$/.test(v)) {
    ctx.addIssue({ code: 'custom', message: `${JSON.stringify(v)} is not a SHA256 fingerprint; copy the "SHA256:…" value that "bulwark host check" printed` });
  }
});

export const HostCheckInput = z.strictObject({
  name: ResourceName,
  /** Pin this fingerprint; it must be the one the host presents now. */
  accept: Fingerprint.optional(),
  /** Replace an existing pin (after a reinstall); needs accept. */
  repin: z.boolean().default(false),
});

export const HostFacts = z.object({
  /** PRETTY_NAME from /etc/os-release, e.g. "Debian GNU/Linux 12 (bookworm)". */
  os: z.string(),
  /** uname -m, e.g. "x86_64". */
  arch: z.string(),
  /** ID-VERSION_ID of /etc/os-release, e.g. "debian-12"; null when the host has no such file. */
  release: z.string().nullable(),
  /** "root", "sudo" (passwordless) or "none". */
  privileges: z.enum(['root', 'sudo', 'none']),
  /** The interface and IPv4 address/prefix that carry the host's SSH address (else its default route); null when none was found. */
  lan: z.object({ interface: z.string(), address: z.string() }).nullable(),
});

export const HostCheckOutput = z.object({
  host: Host,
  /** The fingerprint the host presented in this check. */
  fingerprint: z.string(),
  /** True when that fingerprint is now pinned. */
  pinned: z.boolean(),
  facts: HostFacts,
});
