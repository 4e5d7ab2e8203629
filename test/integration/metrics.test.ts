// /metrics on a real server with scripted gateways: the token is required, the text parses as
// Prometheus' format (promtool), the values follow the topology, and the shipped alert rules and
// scrape config pass promtool.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { until } from '../helpers/agent.js';
import { scriptedVrrpLocation } from '../helpers/scripted-agent.js';
import { startInProcess } from '../helpers/server.js';
import { hasCommand } from '../helpers/tools.js';

const LINK = { heartbeatMs: 100, downAfterMs: 2000, minBackoffMs: 50, maxBackoffMs: 200 };
const RULES = join(import.meta.dirname, '../../resources/prometheus/bulwark-alerts.yml');
const SCRAPE = join(import.meta.dirname, '../../resources/prometheus/scrape-config.yml');
const promtool = hasCommand('promtool');
if (!promtool && process.env.CI) throw new Error('promtool is missing: .ci/run installs it from Debian\'s prometheus package');

function metricValue(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('/metrics', () => {
  test('refuses a missing or wrong token; the topology and the API durations, in Prometheus text', async () => {
    await using srv = await startInProcess({ link: LINK });
    expect((await fetch(`${srv.url}/metrics`)).status).toBe(401);
    expect((await fetch(`${srv.url}/metrics`, { headers: { authorization: 'Bearer nope' } })).status).toBe(401);

    const { gwa: a, gwb: b } = await scriptedVrrpLocation(srv, 'ha', '10.97.0.0/24', '127.0.0.100', { gwa: '127.0.0.31', gwb: '127.0.0.32' });
    try {
      a.beat = { vrrp: [{ location: 'ha', role: 'MASTER', holdsVip: true }] };
      b.beat = { healthy: false, vrrp: [{ location: 'ha', role: 'FAULT', holdsVip: false }] };
      const scrape = async () => {
        const res = await fetch(`${srv.url}/metrics`, { headers: { authorization: `Bearer ${srv.token}` } });
        expect(res.status).toBe(200);
        expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
        return res.text();
      };
      // Each scripted agent beats on its own timer: wait until one scrape has both new beats.
      const text = await until('both gateways in the metrics', async () => {
        const t = await scrape();
        return metricValue(t, 'bulwark_gateway_healthy{host="gwb"}') === 0 && metricValue(t, 'bulwark_gateway_holds_vip{host="gwa",location="ha"}') === 1 ? t : null;
      });
      expect(metricValue(text, 'bulwark_location_vip_holders{location="ha"}')).toBe(1);
      expect(metricValue(text, 'bulwark_location_gateways_unseen{location="ha"}')).toBe(0);
      expect(metricValue(text, 'bulwark_gateway_holds_vip{host="gwa",location="ha"}')).toBe(1);
      expect(metricValue(text, 'bulwark_gateway_vrrp_role{host="gwb",location="ha",role="FAULT"}')).toBe(1);
      expect(metricValue(text, 'bulwark_gateway_link_up{host="gwa"}')).toBe(1);
      expect(metricValue(text, 'bulwark_agent_certificate_days_left{host="gwa",role="gateway"}')).toBeGreaterThan(80);
      expect(metricValue(text, 'bulwark_problems{severity="warning"}')).toBeGreaterThanOrEqual(2);
      expect(text).toMatch(/^bulwark_api_request_duration_seconds_count\{procedure="locations\.setFailover",status="200"\} 1$/m);
      expect(text).toMatch(/^bulwark_core_process_cpu_seconds_total /m);

      if (promtool) {
        const checked = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
        // promtool exits 3 for lint remarks only (e.g. naming advice); 1 when the text does not parse.
        expect([0, 3], checked.stderr + checked.stdout).toContain(checked.status);
      }
    } finally {
      await a.close();
      await b.close();
    }
  });

  test.skipIf(!promtool)('the shipped alert rules and scrape config pass promtool', () => {
    const rules = spawnSync('promtool', ['check', 'rules', RULES], { encoding: 'utf8' });
    expect(rules.status, rules.stdout + rules.stderr).toBe(0);
    expect(rules.stdout).toMatch(/SUCCESS: 10 rules found/);
    // The config points at files on the Prometheus host: check it with stand-ins for them.
    const dir = mkdtempSync(join(tmpdir(), 'bw-prom-'));
    try {
      for (const f of ['bulwark.token', 'bulwark-ca.pem']) writeFileSync(join(dir, f), 'x');
      const config = join(dir, 'prometheus.yml');
      writeFileSync(config, readFileSync(SCRAPE, 'utf8').replaceAll('/etc/prometheus/', `${dir}/`));
      const checked = spawnSync('promtool', ['check', 'config', '--syntax-only', config], { encoding: 'utf8' });
      expect(checked.status, checked.stdout + checked.stderr).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
