// host-apply's health check: a unit is active and its agent reports the configuration it
// should run: the new one after an apply, the restored one after a rollback.
import { AgentHealth, type HostApplyOrder } from '../../contract/index.js';
import { journal, StepError } from './output.js';
import { query } from './systemd.js';

export type VerifyTarget = HostApplyOrder['verify'][number];

/** Which configuration the check expects, for its messages. */
export type Expected = 'new' | 'restored';

export async function verify(v: VerifyTarget, timeoutS: number, expected: Expected): Promise<void> {
  const deadline = Date.now() + timeoutS * 1000;
  let last = '';
  let activeSince: number | null = null;
  while (Date.now() < deadline) {
    const active = query('is-active', '--', v.unit);
    if (active === 'active' && v.url === null) {
      // No health endpoint (keepalived): active, and still active a second later (a bad
      // configuration makes it exit at once).
      activeSince ??= Date.now();
      if (Date.now() - activeSince >= 1000) return;
      last = `${v.unit} just started`;
    } else if (active === 'active' && v.url !== null) {
      const r = await health(v.url);
      const unsettled = r.ok && v.vrrpRoles ? withoutRole(r.vrrp) : [];
      if (r.ok && r.configSha256 === v.configSha256 && unsettled.length === 0) return;
      last = !r.ok
        ? `${v.url}: ${r.error}`
        : r.configSha256 !== v.configSha256
          ? configMismatch(v.url, r.configSha256, v.configSha256, expected)
          : `${v.url}: no VRRP role yet for ${unsettled.join(', ')} (keepalived has not said MASTER or BACKUP)`;
    } else {
      activeSince = null;
      last = `${v.unit} is ${active || 'unknown'}`;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new StepError(`${v.unit} is not healthy after ${timeoutS} s: ${last}`, `systemctl is-active ${v.unit}${v.url ? `; GET ${v.url}` : ''}`, null, journal(v.unit));
}

/** Locations whose VRRP role is not settled (neither MASTER nor BACKUP). Pure. */
export function withoutRole(vrrp: AgentHealth['vrrp']): string[] {
  return (vrrp ?? []).filter((v) => v.role !== 'MASTER' && v.role !== 'BACKUP').map((v) => `${v.location} (${v.role ?? 'none'})`);
}

/** "…/healthz reports configuration 3feda1d20df1, not the restored a3c56ce90b77" (12 hex digits each). */
export function configMismatch(url: string, reported: string, wanted: string, expected: Expected): string {
  return `${url} reports configuration ${reported.slice(0, 12)}, not the ${expected} ${wanted.slice(0, 12)}`;
}

async function health(url: string): Promise<{ ok: true; configSha256: string; vrrp: AgentHealth['vrrp'] } | { ok: false; error: string }> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
    const text = await res.text();
    if (res.status !== 200) {
      let problems: string[] = [];
      try {
        problems = (JSON.parse(text) as { problems?: string[] }).problems ?? [];
      } catch {
        // not JSON: the status says enough
      }
      return { ok: false, error: `HTTP ${res.status}${problems.length ? `: ${problems.join('; ')}` : ''}` };
    }
    const body = AgentHealth.partial().safeParse(JSON.parse(text));
    return body.success ? { ok: true, configSha256: body.data.configSha256 ?? '', vrrp: body.data.vrrp } : { ok: false, error: `an answer that is not an agent's health: ${body.error.issues[0]?.message ?? ''}` };
  } catch (err) {
    const e = err as Error & { cause?: { code?: string } };
    return { ok: false, error: `no answer (${e.cause?.code ?? e.message})` };
  }
}
