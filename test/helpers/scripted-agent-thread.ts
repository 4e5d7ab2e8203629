// Scripted agents (scripted-agent.ts) in a worker thread of their own: for benches with many
// agents, whose TLS and heartbeats would otherwise share Core's event loop and slow what is
// measured. Each behaves as a Scripted: beat, send, close. The worker is bundled with esbuild
// when the thread starts (benches run from the repository, as `npm run bench:*` does).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { build } from 'esbuild';
import type { Scripted, ScriptedIdentity } from './scripted-agent.js';
import type { ThreadCommand, ThreadReply } from './scripted-agent-worker.js';

export interface AgentThread {
  add(identity: ScriptedIdentity, beatMs: number): Promise<Scripted>;
  close(): Promise<void>;
}

export async function startAgentThread(): Promise<AgentThread> {
  const out = await build({ entryPoints: [join(process.cwd(), 'test/helpers/scripted-agent-worker.ts')], bundle: true, platform: 'node', format: 'cjs', write: false, logLevel: 'warning', external: ['bufferutil', 'utf-8-validate'] });
  const dir = mkdtempSync(join(tmpdir(), 'bulwark-agent-thread-'));
  const file = join(dir, 'worker.cjs');
  writeFileSync(file, out.outputFiles[0]!.text);
  const worker = new Worker(file);
  const waiting = new Map<number, { resolve: () => void; reject: (e: Error) => void }>();
  worker.on('message', (r: ThreadReply) => {
    const w = waiting.get(r.id);
    waiting.delete(r.id);
    if (r.op === 'done') w?.resolve();
    else w?.reject(new Error(r.message));
  });
  worker.on('error', (err) => {
    for (const w of waiting.values()) w.reject(err);
    waiting.clear();
  });
  let next = 0;
  const post = (c: ThreadCommand) => worker.postMessage(c);
  const ask = (c: ThreadCommand) =>
    new Promise<void>((resolve, reject) => {
      waiting.set(c.id, { resolve, reject });
      post(c);
    });
  return {
    async add(identity, beatMs) {
      const id = ++next;
      await ask({ op: 'listen', id, identity, beatMs });
      let beat: Scripted['beat'] = {};
      return {
        // What Core sends is not relayed from the thread: the benches only send.
        got: [],
        get beat() {
          return beat;
        },
        set beat(b) {
          beat = b;
          post({ op: 'beat', id, beat: b });
        },
        send: (message) => post({ op: 'send', id, message }),
        close: () => ask({ op: 'close', id }),
      };
    },
    async close() {
      await worker.terminate();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
