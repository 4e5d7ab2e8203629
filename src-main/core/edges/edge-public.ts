// The public side of the edges: the name browsers use, the TLS certificate the edge balancer
// presents for it (the admin's, or one from Core's CA for labs), the host that runs the
// balancer, and the key every edge shares (CSRF tokens), which Core keeps sealed and sends to
// the edges over the link, so that any edge can answer any request.
import { X509Certificate, createPrivateKey, randomBytes } from 'node:crypto';
import { BulwarkError, type EdgePublic, type ProcParsedInput } from '../../contract/index.js';
import type { Store, Tx } from '../../store/db.js';
import { requireHost } from '../hosts/host-service.js';
import type { CorePorts } from '../ports.js';
import type { SecretBox } from '../keys/secret-box.js';
import type { PkiService } from '../pki/pki-service.js';
import { isIP } from 'node:net';
import { renderNginxEdge } from '../../config-gen/nginx/nginx-edge.js';
import { EDGE_PUBLIC_PORT } from '../../contract/host-layout.js';

interface SettingsRow {
  public_name: string;
  balancer: string | null;
  tls_source: 'admin' | 'ca';
  tls_cert_pem: string;
  tls_key_enc: Buffer;
  trusted_proxies: string;
  updated_at: string;
}

const SELECT = `SELECT s.public_name, h.name AS balancer, s.tls_source, s.tls_cert_pem, s.tls_key_enc, s.trusted_proxies, s.updated_at
  FROM edge_settings s LEFT JOIN hosts h ON h.id = s.balancer_host_id WHERE s.id = 1`;
const TLS_PURPOSE = 'public-tls-key';
const CSRF_SECRET = 'edge-csrf-key';

function toPublic(r: SettingsRow): EdgePublic {
  const cert = new X509Certificate(r.tls_cert_pem);
  return {
    publicName: r.public_name,
    balancer: r.balancer,
    tls: { source: r.tls_source, subject: cert.subject.replace(/\n/g, ', '), notAfter: new Date(cert.validTo).toISOString(), fingerprint256: cert.fingerprint256 },
    trustedProxies: JSON.parse(r.trusted_proxies) as string[],
    updatedAt: r.updated_at,
  };
}

/** Why the admin's certificate cannot serve this name, or null. */
function certificateProblem(certPem: string, keyPem: string, name: string, now: Date): { field: string; message: string } | null {
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(certPem);
  } catch {
    return { field: 'tlsCertPem', message: 'is not a PEM certificate; give the file that starts with "-----BEGIN CERTIFICATE-----" (the server certificate first, then its chain)' };
  }
  let key;
  try {
    key = createPrivateKey(keyPem);
  } catch {
    return { field: 'tlsKeyPem', message: 'is not a PEM private key (an encrypted key cannot be used: decrypt it first, e.g. "openssl pkey -in key.pem -out plain.pem")' };
  }
  if (!cert.checkPrivateKey(key)) return { field: 'tlsKeyPem', message: 'does not belong to the certificate; give the key the certificate was issued for' };
  const isIp = /^[0-9.]+$/.test(name);
  if (!(isIp ? cert.checkIP(name) : cert.checkHost(name))) return { field: 'tlsCertPem', message: `does not cover ${name} (its names: ${cert.subjectAltName ?? cert.subject}); give a certificate for the public name` };
  if (Date.parse(cert.validTo) <= now.getTime()) return { field: 'tlsCertPem', message: `expired on ${new Date(cert.validTo).toISOString()}; renew it` };
  return null;
}

export class EdgePublicService {
  constructor(
    private readonly store: Store,
    private readonly ports: CorePorts,
    private readonly secrets: SecretBox,
    private readonly pki: PkiService,
  ) {}

  get(): EdgePublic | null {
    const row = this.store.read((tx) => tx.get<SettingsRow>(SELECT));
    return row ? toPublic(row) : null;
  }

  /** The public certificate and key as the balancer needs them; null before any setting. */
  tls(tx: Tx): { certPem: string; keyPem: string } | null {
    const row = tx.get<SettingsRow>(SELECT);
    return row ? { certPem: row.tls_cert_pem, keyPem: this.secrets.open(row.tls_key_enc, TLS_PURPOSE) } : null;
  }

  async set(input: ProcParsedInput<'edges.setPublic'>): Promise<EdgePublic> {
    const now = this.ports.now();
    if ((input.tlsCertPem === undefined) !== (input.tlsKeyPem === undefined)) {
      const field = input.tlsCertPem === undefined ? 'tlsCertPem' : 'tlsKeyPem';
      throw BulwarkError.field(field, 'give both the certificate and its key, or neither (then Core\'s CA issues one that browsers will not trust)', 'invalid_input');
    }
    if (input.balancer !== null) this.store.read((tx) => requireHost(tx, input.balancer!, 'balancer'));
    let tls: { source: 'admin' | 'ca'; certPem: string; keyPem: string };
    if (input.tlsCertPem !== undefined && input.tlsKeyPem !== undefined) {
      const problem = certificateProblem(input.tlsCertPem, input.tlsKeyPem, input.publicName, now);
      if (problem) throw BulwarkError.field(problem.field, problem.message, 'invalid_input');
      tls = { source: 'admin', certPem: input.tlsCertPem, keyPem: input.tlsKeyPem };
    } else {
      const current = this.store.read((tx) => tx.get<SettingsRow>(SELECT));
      // Keep a CA certificate that still fits; a new name or an admin certificate given up gets a new one.
      const keep = current && current.tls_source === 'ca' && current.public_name === input.publicName && Date.parse(new X509Certificate(current.tls_cert_pem).validTo) - now.getTime() > 30 * 86_400_000;
      if (keep) tls = { source: 'ca', certPem: current.tls_cert_pem, keyPem: this.secrets.open(current.tls_key_enc, TLS_PURPOSE) };
      else {
        const issued = await this.pki.publicCert(input.publicName);
        tls = { source: 'ca', certPem: issued.certPem, keyPem: issued.keyPem };
      }
    }
    return this.store.write((tx) => {
      const balancerId = input.balancer === null ? null : requireHost(tx, input.balancer, 'balancer').id;
      tx.run(
        `INSERT INTO edge_settings (id, public_name, balancer_host_id, tls_source, tls_cert_pem, tls_key_enc, trusted_proxies, updated_at) VALUES (1, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (id) DO UPDATE SET public_name = excluded.public_name, balancer_host_id = excluded.balancer_host_id, tls_source = excluded.tls_source,
           tls_cert_pem = excluded.tls_cert_pem, tls_key_enc = excluded.tls_key_enc, trusted_proxies = excluded.trusted_proxies, updated_at = excluded.updated_at`,
        input.publicName,
        balancerId,
        tls.source,
        tls.certPem,
        this.secrets.seal(tls.keyPem, TLS_PURPOSE),
        JSON.stringify([...new Set(input.trustedProxies)].sort()),
        now.toISOString(),
      );
      const out = toPublic(tx.get<SettingsRow>(SELECT) as SettingsRow);
      tx.event({ kind: 'edge.public_set', subject: 'edge:public', details: { publicName: out.publicName, balancer: out.balancer, tls: out.tls.source, notAfter: out.tls.notAfter } });
      return out;
    });
  }

  /** An nginx configuration for admins who run their own proxy in front of the edges, with Core's CA to verify them. */
  async nginxConfig(input: ProcParsedInput<'edges.nginxConfig'>): Promise<{ config: string; caPem: string }> {
    for (const [field, path] of Object.entries(input)) {
      if (!/^\/[A-Za-z0-9._/-]+$/.test(path)) throw BulwarkError.field(field, `${JSON.stringify(path)} is not a plain absolute path; use letters, digits, ".", "_", "-" and "/"`, 'invalid_input');
    }
    const edges = this.store.read((tx) => tx.all<{ name: string; ssh_address: string; lan_address: string | null }>('SELECT h.name, h.ssh_address, h.lan_address FROM edges e JOIN hosts h ON h.id = e.host_id ORDER BY h.name'));
    if (edges.length === 0) throw new BulwarkError('not_found', 'there is no edge yet; add one with "bulwark edge add --host H" first');
    const config = renderNginxEdge({
      host: this.get()?.publicName ?? 'edges',
      listenAddress: '0.0.0.0',
      port: 443,
      certificate: input.certificate,
      certificateKey: input.certificateKey,
      caFile: input.caFile,
      pidFile: '/run/nginx-bulwark-edges.pid',
      user: 'www-data',
      edges: edges.map((e) => {
        const address = e.lan_address ? e.lan_address.slice(0, e.lan_address.indexOf('/')) : e.ssh_address;
        if (isIP(address) === 0) throw BulwarkError.field('host', `Bulwark has not seen edge ${e.name}'s address yet (it is reached as ${e.ssh_address}); run "bulwark host check ${e.name}" first`);
        return { host: e.name, address, port: EDGE_PUBLIC_PORT };
      }),
    });
    return { config, caPem: await this.pki.caPem() };
  }

  /** The key every edge signs and checks CSRF tokens with (made once, sealed). */
  csrfKey(): Buffer {
    return this.store.write((tx) => {
      const row = tx.get<{ value_enc: Buffer }>('SELECT value_enc FROM core_secrets WHERE name = ?', CSRF_SECRET);
      if (row) return Buffer.from(this.secrets.open(row.value_enc, CSRF_SECRET), 'base64');
      const key = randomBytes(32);
      tx.run('INSERT INTO core_secrets (name, value_enc, created_at) VALUES (?, ?, ?)', CSRF_SECRET, this.secrets.seal(key.toString('base64'), CSRF_SECRET), this.ports.now().toISOString());
      return key;
    });
  }
}
