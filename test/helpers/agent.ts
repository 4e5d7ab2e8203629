// Runs a built agent bundle from an empty directory with the shipped runtime, as a host would,
// with its config and TLS files written there. Stops it by PID.
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { renderEdgeConfig, renderGatewayConfig } from '../../src-main/config-gen/agent/agent-config.js';
import { AGENTS_DIR } from './server.js';

export const RUNTIME = join(AGENTS_DIR, 'runtime', 'node');

export function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export interface RunningAgent {
  proc: ChildProcess;
  output: () => string;
  configText: string;
  stop(): Promise<number | null>;
}

export interface AgentFiles {
  role: 'gateway' | 'edge';
  host: string;
  healthPort: number;
  controlPort: number;
  /** An edge: its public HTTPS port (0: any free one) and the addresses whose X-Forwarded-For it believes. */
  publicPort?: number;
  trustedProxies?: string[];
  tls: { ca: string; cert: string; key: string };
}

export function writeAgentFiles(dir: string, f: AgentFiles): string {
  copyFileSync(join(AGENTS_DIR, `${f.role}.mjs`), join(dir, 'agent.mjs'));
  for (const [name, pem] of Object.entries(f.tls)) writeFileSync(join(dir, `${name}.pem`), pem, { mode: 0o600 });
  const control = { address: '127.0.0.1', port: f.controlPort, ca: join(dir, 'ca.pem'), cert: join(dir, 'cert.pem'), key: join(dir, 'key.pem') };
  const text =
    f.role === 'gateway'
      ? renderGatewayConfig({ host: f.host, healthPort: f.healthPort, control, locations: [] })
      : renderEdgeConfig({ host: f.host, healthPort: f.healthPort, control, public: { address: '127.0.0.1', port: f.publicPort ?? 0 }, trustedProxies: f.trustedProxies ?? [] });
  writeFileSync(join(dir, 'agent.json'), text);
  return text;
}

export function startAgent(dir: string, configText: string): RunningAgent {
  return runningAgent(spawn(RUNTIME, [join(dir, 'agent.mjs')], { cwd: dir, env: { BULWARK_AGENT_CONFIG: join(dir, 'agent.json'), STATE_DIRECTORY: join(dir, 'state') }, stdio: ['ignore', 'pipe', 'pipe'] }), configText);
}

/** An agent process the test started: its output kept, and stopped with SIGTERM (by its PID) when asked. */
export function runningAgent(proc: ChildProcess, configText: string): RunningAgent {
  let out = '';
  proc.stdout?.on('data', (d) => (out += d));
  proc.stderr?.on('data', (d) => (out += d));
  return {
    proc,
    output: () => out,
    configText,
    stop: async () => {
      if (proc.exitCode !== null || proc.signalCode !== null) return proc.exitCode;
      proc.kill('SIGTERM');
      await new Promise((r) => proc.once('exit', r));
      return proc.exitCode;
    },
  };
}

/** Polls until `check` returns a value, or fails after timeoutMs with what it saw last. */
export async function until<T>(what: string, check: () => T | undefined | null | false | Promise<T | undefined | null | false>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
