// Starts a real `bulwark serve` for a test: in-process (fast, for API tests) or as a child
// process of the built CLI (for CLI and crash tests). Each gets its own throwaway data dir.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { serve, type Running, type ServeOptions } from '../../src-main/serve.js';
import { HttpClient } from '../../src-main/transport/http/client.js';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const CLI = join(ROOT, 'dist', 'bulwark.mjs');
export const UI_DIR = join(ROOT, 'dist', 'renderer');
export const AGENTS_DIR = join(ROOT, 'dist', 'agents');

export function tempDir(prefix = 'bulwark-test-'): { dir: string; [Symbol.dispose](): void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, [Symbol.dispose]: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface InProcessServer {
  running: Running;
  url: string;
  token: string;
  dataDir: string;
  client: HttpClient;
  /** Stops Core (if running) and starts it again on the same data dir; url and client change. */
  restart(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/** `await using srv = await startInProcess()` stops the server and removes its data dir. */
export async function startInProcess(opts: Pick<ServeOptions, 'uiDir' | 'link' | 'requestTimeoutMs' | 'agentsDir' | 'hostNames'> = {}): Promise<InProcessServer> {
  const base = mkdtempSync(join(tmpdir(), 'bulwark-srv-'));
  const dataDir = join(base, 'data');
  const start = () => serve({ dataDir, listen: '127.0.0.1:0', uiDir: opts.uiDir, agentsDir: opts.agentsDir ?? AGENTS_DIR, link: opts.link, requestTimeoutMs: opts.requestTimeoutMs, hostNames: opts.hostNames, log: pino({ level: 'silent' }) });
  const running = await start();
  const token = readFileSync(running.paths.token, 'utf8').trim();
  const srv: InProcessServer = {
    running,
    url: running.url,
    token,
    dataDir,
    client: new HttpClient({ url: running.url, token, actor: 'test' }),
    restart: async () => {
      await srv.running.stop();
      srv.running = await start();
      srv.url = srv.running.url;
      srv.client = new HttpClient({ url: srv.url, token, actor: 'test' });
    },
    [Symbol.asyncDispose]: async () => {
      await srv.running.stop();
      rmSync(base, { recursive: true, force: true });
    },
  };
  return srv;
}

export interface ChildServer {
  proc: ChildProcess;
  url: string;
  dataDir: string;
  stdout: () => string;
  stderr: () => string;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Spawns the built CLI's `serve` and waits until it has written server.json. */
export async function startChild(dataDir: string, extraArgs: string[] = [], extraEnv: NodeJS.ProcessEnv = {}): Promise<ChildServer> {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing; run "npm run build" first`);
  const proc = spawn(process.execPath, [CLI, 'serve', '--data-dir', dataDir, '--listen', '127.0.0.1:0', ...extraArgs], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, BULWARK_LOG_LEVEL: 'warn', ...extraEnv },
  });
  let out = '';
  let err = '';
  proc.stdout!.on('data', (d) => (out += String(d)));
  proc.stderr!.on('data', (d) => (err += String(d)));
  const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
  const deadline = Date.now() + 15_000;
  while (!/serving (http\S+)\//.test(out)) {
    if (proc.exitCode !== null || Date.now() > deadline) {
      proc.kill('SIGKILL');
      throw new Error(`bulwark serve did not start: ${err || out}`);
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  const url = /serving (http\S+)\//.exec(out)![1]!;
  return {
    proc,
    url,
    dataDir,
    stdout: () => out,
    stderr: () => err,
    stop: async (signal = 'SIGTERM') => {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
      return exited;
    },
  };
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs the built CLI to completion; with `timeoutMs`, it is killed (SIGKILL) after that long:
 * for a command that should fail at once but would run on (serve) if it did not.
 */
export function runCli(args: string[], env: NodeJS.ProcessEnv = {}, timeoutMs?: number): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env }, ...(timeoutMs === undefined ? {} : { timeout: timeoutMs, killSignal: 'SIGKILL' }) });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => (stdout += String(d)));
    p.stderr.on('data', (d) => (stderr += String(d)));
    p.on('error', reject);
    p.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

/** A throwaway self-signed certificate (P-256, one day) for `cn` and the given subjectAltName. */
export function selfSignedCert(dir: string, cn: string, san: string): { cert: string; key: string } {
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '1', '-subj', `/CN=${cn}`, '-addext', `subjectAltName=${san}`, '-keyout', key, '-out', cert], { stdio: 'ignore' });
  return { cert, key };
}
