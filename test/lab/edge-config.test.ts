// The edge balancer's generated configs on a real Debian 12 host: HAProxy 2.6 accepts every
// golden haproxy.cfg (`haproxy -c`, no warnings) and nginx-light every golden nginx-edge config
// (`nginx -t`), with the files they name in place (a self-signed public certificate, a CA and
// edge certificates made with openssl on the lab host, the errorfile from
// renderUnavailableHttp()). Then the golden unit runs the golden two-edge config under systemd,
// with two stand-in edges (`openssl s_server -www`, which answers 200 to any GET) on the
// golden model's addresses: the edge whose certificate names the right host serves requests,
// the one whose certificate names another host is taken out by its check (verifyhost holds),
// port 80 redirects, a reload keeps the master, and with no edge left the unavailable page answers.
import { readdirSync, readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { renderUnavailableHttp, renderUnavailablePage, unavailablePageCsp } from '../../src-main/config-gen/haproxy/unavailable-page.js';
import { HAPROXY_CONF, HAPROXY_PUBLIC_PEM, HAPROXY_STATS_SOCKET, HAPROXY_UNAVAILABLE_PAGE, HAPROXY_UNIT, HAPROXY_UNIT_PATH, TLS_CA } from '../../src-main/contract/host-layout.js';
import { until } from '../helpers/agent.js';
import { ROOT } from '../helpers/server.js';
import { Lab, labMissing } from './scenario.js';

const missing = labMissing();
if (missing && process.env.CI === 'true') throw new Error(`lab tests cannot run: ${missing}`);

const HAPROXY_GOLDEN = join(ROOT, 'src-main/config-gen/haproxy/testdata');
const NGINX_GOLDEN = join(ROOT, 'src-main/config-gen/nginx/testdata/edge');
const UNIT_GOLDEN = join(ROOT, 'src-main/config-gen/systemd/testdata/haproxy/haproxy.service');
/** The name on the lab's public certificate; the test's requests send it as SNI. */
const PUBLIC_NAME = 'vpn.example.test';

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function get(url: string, ca?: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const options = { host: u.hostname, port: u.port, path: u.pathname, timeout: 10_000, ...(ca ? { ca, servername: PUBLIC_NAME } : {}) };
    const req = (u.protocol === 'https:' ? httpsRequest : httpRequest)(options, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('timeout', () => req.destroy(new Error(`${url}: no answer in 10 s`)));
    req.on('error', reject);
    req.end();
  });
}

describe.skipIf(missing !== null)('edge balancer configs on a lab host', () => {
  test('HAProxy and nginx accept every golden config; the golden unit serves, checks edges by name, reloads and shows the unavailable page', async () => {
    await using lab = await Lab.create();
    const host = await lab.boot('eb');
    const sh = (script: string, ...args: string[]) => {
      const r = lab.exec('eb', ['sh', '-c', script, 'sh', ...args]);
      return { ...r, out: `${r.stdout}${r.stderr}` };
    };
    const put = (path: string, text: string, mode = '644') => {
      const r = sh('mkdir -p "$(dirname "$1")" && printf "%s" "$2" > "$1" && chmod "$3" "$1"', path, text, mode);
      expect(r.code, `${path}: ${r.out}`).toBe(0);
    };

    // The files the golden models name: a self-signed public certificate with its key, Bulwark's
    // CA, edge certificates it signed (their host names and the name all edges share), the errorfile.
    const certs = sh(
      [
        'set -e',
        'd=/root/tls; mkdir -p $d; cd $d',
        'gen() { openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$1.key" -out "$1.csr" -subj "/CN=$1" 2>/dev/null; }',
        `openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout public.key -out public.crt -days 2 -subj /CN=${PUBLIC_NAME} -addext subjectAltName=DNS:${PUBLIC_NAME} 2>/dev/null`,
        'openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key -out ca.pem -days 2 -subj /CN=bulwark-lab-ca 2>/dev/null',
        // edge9's certificate stands in for an edge at edge2's address that is not edge2.
        'for e in edge1 edge9; do gen $e; printf "subjectAltName=DNS:%s,DNS:edges.bulwark.internal\\n" $e > $e.ext; openssl x509 -req -in $e.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out $e.crt -days 2 -extfile $e.ext 2>/dev/null; done',
        `mkdir -p $(dirname ${HAPROXY_PUBLIC_PEM}) /etc/nginx/tls`,
        `cat public.crt public.key > ${HAPROXY_PUBLIC_PEM}; chmod 600 ${HAPROXY_PUBLIC_PEM}`,
        `cp ca.pem ${TLS_CA}`,
        'cp public.crt /etc/nginx/tls/vpn.example.com.pem; cp public.key /etc/nginx/tls/vpn.example.com.key; cp ca.pem /etc/nginx/tls/bulwark-ca.pem',
      ].join('\n'),
    );
    expect(certs.code, certs.out).toBe(0);
    put(HAPROXY_UNAVAILABLE_PAGE, renderUnavailableHttp());

    const cfgs = readdirSync(HAPROXY_GOLDEN).filter((n) => n.endsWith('.cfg'));
    expect(cfgs.length).toBeGreaterThanOrEqual(2);
    for (const f of cfgs) {
      put('/tmp/h.cfg', readFileSync(join(HAPROXY_GOLDEN, f), 'utf8'));
      const r = sh('haproxy -c -f /tmp/h.cfg 2>&1; echo "exit=$?"');
      expect(r.stdout, f).toMatch(/Configuration file is valid\s+exit=0\s*$/);
      expect(r.stdout, f).not.toMatch(/WARNING|ALERT/);
    }

    // nginx binds what it listens on even for -t: inside this host's own network namespace.
    const confs = readdirSync(NGINX_GOLDEN).filter((n) => n.endsWith('.conf'));
    expect(confs.length).toBeGreaterThanOrEqual(2);
    for (const f of confs) {
      put('/tmp/n.conf', readFileSync(join(NGINX_GOLDEN, f), 'utf8'));
      const r = sh('nginx -t -c /tmp/n.conf 2>&1; echo "exit=$?"');
      expect(r.stdout, f).toMatch(/test is successful[\s\S]*exit=0\s*$/);
      expect(r.stdout, f).not.toMatch(/\[(warn|emerg)\]/);
    }

    // The golden unit with the golden two-edge config. Its edges' addresses (TEST-NET-1, which
    // no lab network uses) are on this host's loopback; edge1 has the right certificate,
    // "edge2" one that names another host.
    put(HAPROXY_CONF, readFileSync(join(HAPROXY_GOLDEN, 'two-edges.cfg'), 'utf8'));
    put(HAPROXY_UNIT_PATH, readFileSync(UNIT_GOLDEN, 'utf8'));
    const edges = sh(
      [
        'set -e',
        'ip addr add 192.0.2.31/32 dev lo; ip addr add 192.0.2.32/32 dev lo',
        'cd /root/tls',
        'nohup openssl s_server -quiet -www -accept 192.0.2.31:9443 -cert edge1.crt -key edge1.key >/dev/null 2>&1 &',
        'echo $!',
        'nohup openssl s_server -quiet -www -accept 192.0.2.32:9443 -cert edge9.crt -key edge9.key >/dev/null 2>&1 &',
        'echo $!',
      ].join('\n'),
    );
    expect(edges.code, edges.out).toBe(0);
    const edgePids = edges.stdout.trim().split('\n');
    expect(edgePids).toHaveLength(2);
    const start = sh(`systemctl daemon-reload && systemctl start ${HAPROXY_UNIT} 2>&1; systemctl is-active ${HAPROXY_UNIT}`);
    expect(start.stdout.trim(), `${start.out}\n${sh(`journalctl -u ${HAPROXY_UNIT} --no-pager | tail -20`).out}`).toBe('active');
    expect(sh(`test -S ${HAPROXY_STATS_SOCKET}`).code).toBe(0);
    const journal = () => sh(`journalctl -u ${HAPROXY_UNIT} --no-pager -o cat`).stdout;
    await until('the edge with another host\'s certificate to be taken out', () => /Server bulwark_edges\/edge-edge2 is DOWN/.test(journal()), 10_000);
    expect(journal()).not.toMatch(/edge-edge1 is DOWN/);

    const publicCa = sh('cat /root/tls/public.crt').stdout;
    const ok = await get(`https://${host.address}/api/v1/anything`, publicCa);
    expect(ok.status).toBe(200);
    expect(ok.headers['strict-transport-security']).toBe('max-age=31536000');
    const redirect = await get(`http://${host.address}/invite`);
    expect(redirect.status).toBe(301);
    expect(redirect.headers.location).toBe(`https://${host.address}/invite`);

    // A reload checks the file and keeps the master (SIGUSR2: new workers, no restart).
    const mainPid = () => sh(`systemctl show -p MainPID --value ${HAPROXY_UNIT}`).stdout.trim();
    const before = mainPid();
    const reload = sh(`systemctl reload ${HAPROXY_UNIT} 2>&1`);
    expect(reload.code, reload.out).toBe(0);
    // systemctl returns once the signal is sent; HAProxy then says RELOADING=1 until its new
    // workers run (READY=1), so the unit is "reloading" for a moment, never "failed".
    const states: string[] = [];
    await until('HAProxy active again after its reload', async () => {
      states.push(sh(`systemctl is-active ${HAPROXY_UNIT}`).stdout.trim());
      return states.at(-1) === 'active';
    }, 10_000);
    expect(states.filter((st) => st !== 'active' && st !== 'reloading'), states.join()).toEqual([]);
    expect(mainPid()).toBe(before);
    expect((await get(`https://${host.address}/`, publicCa)).status).toBe(200);

    // No edge left: the unavailable page, as renderUnavailablePage() wrote it.
    expect(sh('kill "$@"', ...edgePids).code).toBe(0);
    const down = await until('no edge left', async () => {
      const r = await get(`https://${host.address}/`, publicCa);
      return r.status === 503 ? r : null;
    }, 10_000);
    expect(down.body).toBe(renderUnavailablePage());
    expect(down.headers['content-security-policy']).toBe(unavailablePageCsp());
    expect(down.headers['retry-after']).toBe('30');
    expect(down.headers['strict-transport-security']).toBe('max-age=31536000');

    expect(sh(`systemctl stop ${HAPROXY_UNIT}; systemctl is-active ${HAPROXY_UNIT}`).stdout.trim()).toBe('inactive');
    expect(sh(`systemctl show -p Result --value ${HAPROXY_UNIT}`).stdout.trim()).toBe('success');
  }, 180_000);
});
