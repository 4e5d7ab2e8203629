// provision/host-check.ts: hosts.check. Connects over SSH, shows the host key and what the host
// is (OS, architecture, privileges, LAN), and pins the key when the admin accepts it.
import { BulwarkError, splitRelease, type ProcOutput, type ProcParsedInput } from '../contract/index.js';
import { requireHost, sshTargetOf, toHost } from '../core/hosts/host-service.js';
import type { CorePorts } from '../core/ports.js';
import type { Store } from '../store/db.js';
import { shellCommand } from './ssh/quote.js';

/**
 * The host's LAN from `ip -o -4 addr` lines ("addr=IF A.B.C.D/NN") and its default route's
 * interface ("default=IF"): the address equal to the SSH address, else the default route's.
 */
export function lanOf(lines: string[], sshAddress: string): { interface: string; address: string } | null {
  const addrs = lines.filter((l) => l.startsWith('addr=')).map((l) => l.slice(5).trim().split(/\s+/)).filter((p): p is [string, string] => p.length === 2 && /^\d+\.\d+\.\d+\.\d+\/\d+$/.test(p[1]!));
  const exact = addrs.find(([, a]) => a.slice(0, a.indexOf('/')) === sshAddress);
  const dflt = lines.find((l) => l.startsWith('default='))?.slice(8).trim();
  const pick = exact ?? addrs.find(([i]) => i === dflt);
  return pick ? { interface: pick[0], address: pick[1] } : null;
}

export class HostCheck {
  constructor(
    private readonly store: Store,
    private readonly ports: CorePorts,
  ) {}

  /**
   * Connects, shows the host key's fingerprint and the host's OS, architecture and
   * privileges, and pins the key when the admin accepts it. A pinned key that changed stops
   * the check during the key exchange, before anything runs on the host.
   */
  async check(input: ProcParsedInput<'hosts.check'>): Promise<ProcOutput<'hosts.check'>> {
    const row = this.store.read((tx) => requireHost(tx, input.name, 'name'));
    if (input.repin && input.accept === undefined) {
      throw BulwarkError.field('repin', 'needs accept: give the new fingerprint with --accept SHA256:… after checking it on the host\'s console');
    }
    const target = sshTargetOf(row);
    const session = await this.ports.connectSsh(target, input.repin ? input.accept! : row.host_key_fingerprint);
    try {
      const fingerprint = session.fingerprint;
      if (input.accept !== undefined && input.accept !== fingerprint) {
        throw BulwarkError.field('accept', `host ${row.name} presents ${fingerprint}, not the ${input.accept} you gave; check the fingerprint on the host's console before accepting it`);
      }
      const facts = await this.facts(session, row.ssh_address);
      const pin = input.accept !== undefined && input.accept !== row.host_key_fingerprint;
      // What the host's LAN is now (the floating IP must sit in it), once its key is trusted.
      if (pin || row.host_key_fingerprint === fingerprint) {
        const [osId, osVersion] = facts.release ? splitRelease(facts.release) : [null, null];
        this.store.write((tx) =>
          tx.run(
            'UPDATE hosts SET lan_interface = ?, lan_address = ?, os_id = ?, os_version = ?, arch = ? WHERE id = ?',
            facts.lan?.interface ?? null,
            facts.lan?.address ?? null,
            osId,
            osVersion,
            facts.release ? facts.arch : null,
            row.id,
          ),
        );
      }
      if (pin) {
        this.store.write((tx) => {
          tx.run('UPDATE hosts SET host_key_fingerprint = ? WHERE id = ?', fingerprint, row.id);
          tx.event({
            kind: 'host.pinned',
            subject: `host:${row.name}`,
            details: { fingerprint, previous: row.host_key_fingerprint, os: facts.os, arch: facts.arch },
          });
        });
      }
      const host = this.store.read((tx) => toHost(tx, requireHost(tx, row.name, 'name')));
      return { host, fingerprint, pinned: host.hostKeyFingerprint === fingerprint, facts };
    } finally {
      session.close();
    }
  }

  private async facts(session: { exec(c: string): Promise<{ code: number; stdout: string }> }, sshAddress: string) {
    // A fixed script: nothing from input goes into it.
    const script = [
      'uname -m; . /etc/os-release 2>/dev/null; echo "${PRETTY_NAME:-unknown}"; id -u; if sudo -n true 2>/dev/null; then echo sudo; else echo nosudo; fi',
      'echo "release=${ID:-}-${VERSION_ID:-}"',
      'ip -o -4 addr show 2>/dev/null | while read -r _ ifc _ addr _; do echo "addr=$ifc $addr"; done',
      'ip -o -4 route show default 2>/dev/null | sed -n "1s/.* dev \\([^ ]*\\).*/default=\\1/p"',
    ].join('\n');
    const r = await session.exec(shellCommand('sh', '-c', script));
    const lines = r.stdout.trim().split('\n');
    const [arch = 'unknown', os = 'unknown', uid = '', sudo = ''] = lines;
    const privileges: 'root' | 'sudo' | 'none' = uid.trim() === '0' ? 'root' : sudo.trim() === 'sudo' ? 'sudo' : 'none';
    const release = lines.find((l) => l.startsWith('release='))?.slice(8).trim() ?? '';
    return { os: os.trim(), arch: arch.trim(), privileges, lan: lanOf(lines, sshAddress), release: /^[a-z0-9._-]+-[A-Za-z0-9._~]+$/.test(release) ? release : null };
  }
}
