// Core's PKI: the CA (made once, its key sealed in the database), certificates for each agent
// (one per host and role, 90 days, renewed when fewer than 30 remain) and for Core itself as
// the client of the control link. Removing a role revokes its certificate.
import { X509Certificate } from 'node:crypto';
import type { Store, Tx } from '../../store/db.js';
import type { SecretBox } from '../keys/secret-box.js';
import type { CorePorts } from '../ports.js';
import { EDGE_TLS_NAME } from '../../contract/host-layout.js';
import { createCa, issueCert, type CaMaterial, type IssuedCert } from './ca.js';

const DAY = 24 * 3600 * 1000;
export const AGENT_CERT_DAYS = 90;
export const AGENT_RENEW_DAYS = 30;
const CORE_CERT_DAYS = 365;
const CORE_RENEW_DAYS = 60;

export type { AgentRole } from '../../contract/index.js';
import type { AgentRole } from '../../contract/index.js';

interface CertRow {
  id: number;
  serial: string;
  subject: string;
  host_id: number | null;
  role: AgentRole | null;
  cert_pem: string;
  key_enc: Buffer;
  not_before: string;
  not_after: string;
  revoked_at: string | null;
  revoke_reason: string | null;
}

export interface StoredCert {
  serial: string;
  subject: string;
  certPem: string;
  keyPem: string;
  notAfter: Date;
}

export function agentSubject(role: AgentRole, host: string): string {
  return `${role}:${host}`;
}

/** Normalises a serial as Node's TLS prints it (upper case, maybe a leading zero) to ours. */
export function normalSerial(serial: string): string {
  return serial.toLowerCase().replace(/^0+/, '');
}

export class PkiService {
  private caLoad: Promise<CaMaterial> | null = null;
  /** Serialises issuing, so two callers never issue twice for the same subject. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly store: Store,
    private readonly secrets: SecretBox,
    private readonly ports: CorePorts,
  ) {}

  /** The CA, made and stored on first use (Core calls this at start). */
  ca(): Promise<CaMaterial> {
    this.caLoad ??= (async () => {
      const row = this.store.read((tx) => tx.get<{ cert_pem: string; key_enc: Buffer }>('SELECT cert_pem, key_enc FROM ca WHERE id = 1'));
      if (row) return { certPem: row.cert_pem, keyPem: this.secrets.open(row.key_enc, 'ca-private-key') };
      const now = this.ports.now();
      const ca = await createCa(now, `Bulwark Core CA ${now.toISOString().slice(0, 10)}`);
      return this.store.write((tx) => {
        // Another process cannot race us (the data dir is locked), but stay idempotent anyway.
        const again = tx.get<{ cert_pem: string; key_enc: Buffer }>('SELECT cert_pem, key_enc FROM ca WHERE id = 1');
        if (again) return { certPem: again.cert_pem, keyPem: this.secrets.open(again.key_enc, 'ca-private-key') };
        tx.run('INSERT INTO ca (id, cert_pem, key_enc, created_at) VALUES (1, ?, ?, ?)', ca.certPem, this.secrets.seal(ca.keyPem, 'ca-private-key'), now.toISOString());
        tx.event({ kind: 'pki.ca_created', subject: 'ca', details: { fingerprint256: new X509Certificate(ca.certPem).fingerprint256 } });
        return ca;
      });
    })();
    this.caLoad.catch(() => (this.caLoad = null));
    return this.caLoad;
  }

  async caPem(): Promise<string> {
    return (await this.ca()).certPem;
  }

  private current(tx: Tx, subject: string): CertRow | undefined {
    return tx.get<CertRow>('SELECT * FROM certificates WHERE subject = ? AND revoked_at IS NULL ORDER BY not_after DESC LIMIT 1', subject);
  }

  private toStored(row: CertRow): StoredCert {
    return { serial: row.serial, subject: row.subject, certPem: row.cert_pem, keyPem: this.secrets.open(row.key_enc, 'certificate-private-key'), notAfter: new Date(row.not_after) };
  }

  /** The valid certificate of an agent, if one exists and is not due for renewal; never issues. */
  agentCertIfCurrent(role: AgentRole, host: string): StoredCert | null {
    const row = this.store.read((tx) => this.current(tx, agentSubject(role, host)));
    if (!row || new Date(row.not_after).getTime() - this.ports.now().getTime() < AGENT_RENEW_DAYS * DAY) return null;
    return this.toStored(row);
  }

  /** The agent's certificate, issued (or renewed) when missing or due. */
  agentCert(role: AgentRole, host: { id: number; name: string; address: string }): Promise<StoredCert> {
    return this.serial(async () => {
      const existing = this.agentCertIfCurrent(role, host.name);
      if (existing) return existing;
      const isIp = /^[0-9.]+$|:/.test(host.address);
      return this.issue(agentSubject(role, host.name), host.id, role, 'server', AGENT_CERT_DAYS, {
        // Every edge also carries one shared name, so a proxy that checks one name for all its upstreams (nginx) can verify any edge.
        dnsNames: [host.name, ...(isIp ? [] : [host.address]), ...(role === 'edge' ? [EDGE_TLS_NAME] : [])],
        ipAddresses: isIp ? [host.address] : [],
      });
    });
  }

  /** A server certificate for the edges' public name from Core's CA (1 year), for labs: browsers do not trust it. */
  publicCert(name: string): Promise<StoredCert> {
    return this.serial(async () => {
      const isIp = /^[0-9.]+$|:/.test(name);
      return this.issue(`public:${name}`, null, null, 'server', CORE_CERT_DAYS, { dnsNames: isIp ? [] : [name], ipAddresses: isIp ? [name] : [] });
    });
  }

  /** When the CA and Core's own client certificate end (ISO), null before they exist: for the topology. */
  endDates(): { ca: string | null; core: string | null } {
    return this.store.read((tx) => {
      const ca = tx.get<{ cert_pem: string }>('SELECT cert_pem FROM ca WHERE id = 1');
      return { ca: ca ? new Date(new X509Certificate(ca.cert_pem).validTo).toISOString() : null, core: this.current(tx, 'core')?.not_after ?? null };
    });
  }

  /** Core's client certificate for the control link. */
  coreCert(): Promise<StoredCert> {
    return this.serial(async () => {
      const row = this.store.read((tx) => this.current(tx, 'core'));
      if (row && new Date(row.not_after).getTime() - this.ports.now().getTime() >= CORE_RENEW_DAYS * DAY) return this.toStored(row);
      return this.issue('core', null, null, 'client', CORE_CERT_DAYS, { dnsNames: [], ipAddresses: [] });
    });
  }

  private serial<T>(work: () => Promise<T>): Promise<T> {
    const next = this.queue.then(work, work);
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async issue(subject: string, hostId: number | null, role: AgentRole | null, usage: 'server' | 'client', days: number, names: { dnsNames: string[]; ipAddresses: string[] }): Promise<StoredCert> {
    const ca = await this.ca();
    const now = this.ports.now();
    const issued: IssuedCert = await issueCert(ca, { commonName: subject, usage, ...names, notBefore: new Date(now.getTime() - 60_000), notAfter: new Date(now.getTime() + days * DAY) });
    this.store.write((tx) => {
      tx.run(
        `INSERT INTO certificates (serial, subject, host_id, role, cert_pem, key_enc, not_before, not_after, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        issued.serial,
        subject,
        hostId,
        role,
        issued.certPem,
        this.secrets.seal(issued.keyPem, 'certificate-private-key'),
        issued.notBefore.toISOString(),
        issued.notAfter.toISOString(),
        now.toISOString(),
      );
      tx.event({ kind: 'certificate.issued', subject: `certificate:${subject}`, details: { serial: issued.serial, notAfter: issued.notAfter.toISOString() } });
    });
    return { serial: issued.serial, subject, certPem: issued.certPem, keyPem: issued.keyPem, notAfter: issued.notAfter };
  }

  /** Inside a mutation: revokes every live certificate of this agent. */
  revokeAgent(tx: Tx, role: AgentRole, host: string, reason: string): void {
    const now = this.ports.now().toISOString();
    for (const row of tx.all<CertRow>('SELECT * FROM certificates WHERE subject = ? AND revoked_at IS NULL', agentSubject(role, host))) {
      tx.run('UPDATE certificates SET revoked_at = ?, revoke_reason = ? WHERE id = ?', now, reason, row.id);
      tx.event({ kind: 'certificate.revoked', subject: `certificate:${row.subject}`, details: { serial: row.serial, reason } });
    }
  }

  /** What Core knows of a certificate an agent presented: its subject and whether it is revoked. */
  lookup(serial: string): { subject: string; revokedAt: string | null; reason: string | null } | null {
    const row = this.store.read((tx) => tx.get<CertRow>('SELECT * FROM certificates WHERE serial = ?', normalSerial(serial)));
    return row ? { subject: row.subject, revokedAt: row.revoked_at, reason: row.revoke_reason } : null;
  }
}
