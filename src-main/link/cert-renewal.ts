// Certificate renewal over the link: when the certificate an agent presented has fewer than
// AGENT_RENEW_DAYS left (looked at when its link comes up and every 6 hours), Core sends it a
// renewed one (issued now, or one issued earlier that it has not installed). The link stays
// up; the agent serves the new one from its next handshake on.
import type { Store } from '../store/db.js';
import { hostAddress } from '../store/queries.js';
import type { CorePorts } from '../core/ports.js';
import { AGENT_RENEW_DAYS, normalSerial, type PkiService } from '../core/pki/pki-service.js';
import type { Link } from './link.js';
import type { LinkHub } from './link-hub.js';

export class CertRenewal {
  /** Agents sent a renewed certificate that have not answered yet. */
  private readonly renewing = new Set<string>();
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly hub: LinkHub,
    private readonly store: Store,
    private readonly pki: PkiService,
    private readonly ports: CorePorts,
  ) {
    hub.onMessage('hello', (link) => void this.renewIfDue(link));
    hub.onDidChangeState((link) => {
      if (link.state !== 'up') this.renewing.delete(link.target.agent);
    });
    hub.onMessage('refused', (link, m) => {
      if (m.reason.startsWith('certificate:')) this.renewing.delete(link.target.agent);
    });
    hub.onMessage('certificateInstalled', (link, m) => this.installed(link, m.serial, m.notAfter));
  }

  /** Links can stay up for months: look at their certificates a few times a day. */
  start(): void {
    this.timer = setInterval(() => {
      for (const l of this.hub.all()) void this.renewIfDue(l);
    }, 6 * 3600_000);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  private async renewIfDue(link: Link): Promise<void> {
    const presented = link.certificate;
    const agent = link.target.agent;
    if (this.renewing.has(agent) || !presented || link.state !== 'up') return;
    if (Date.parse(presented.notAfter) - this.ports.now().getTime() >= AGENT_RENEW_DAYS * 24 * 3600_000) return;
    this.renewing.add(agent);
    try {
      const host = this.store.read((tx) => hostAddress(tx, link.target.host));
      if (!host) throw new Error(`host ${link.target.host} is gone`);
      const cert = await this.pki.agentCert(link.target.role, { id: host.id, name: host.name, address: host.ssh_address });
      if (normalSerial(cert.serial) === presented.serial) throw new Error('Core has no newer certificate for it');
      link.send({ type: 'certificate', certPem: cert.certPem, keyPem: cert.keyPem });
    } catch (err) {
      this.renewing.delete(agent);
      this.hub.problem(link, `Core could not renew the agent's certificate: ${err instanceof Error ? err.message : String(err)}`, 'core');
    }
  }

  private installed(link: Link, serial: string, notAfter: string): void {
    this.renewing.delete(link.target.agent);
    try {
      this.store.write((tx) => tx.event({ kind: 'certificate.renewed', subject: `certificate:${link.target.agent}`, details: { host: link.target.host, role: link.target.role, serial, notAfter, via: 'link' } }));
    } catch {
      // the agent's log has it too
    }
  }
}
