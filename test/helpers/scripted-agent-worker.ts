// The far end of scripted-agent-thread.ts: scripted agents listening in a worker thread, so
// their TLS and heartbeats do not share Core's event loop (as real agents, on their own hosts,
// do not). Commands come from the parent; each is answered by id.
import { parentPort } from 'node:worker_threads';
import { listenScripted, type Scripted, type ScriptedIdentity } from './scripted-agent.js';
import type { AgentMessage } from '../../src-main/contract/index.js';

export type ThreadCommand =
  | { op: 'listen'; id: number; identity: ScriptedIdentity; beatMs: number }
  | { op: 'beat'; id: number; beat: Scripted['beat'] }
  | { op: 'send'; id: number; message: AgentMessage }
  | { op: 'close'; id: number };
export type ThreadReply = { op: 'done'; id: number } | { op: 'failed'; id: number; message: string };

const agents = new Map<number, Scripted>();
const port = parentPort!;

port.on('message', (c: ThreadCommand) => {
  const reply = (r: ThreadReply) => port.postMessage(r);
  const done = () => reply({ op: 'done', id: c.id });
  const failed = (err: unknown) => reply({ op: 'failed', id: c.id, message: (err as Error).message });
  switch (c.op) {
    case 'listen':
      listenScripted(c.identity, c.beatMs).then((a) => {
        agents.set(c.id, a);
        done();
      }, failed);
      return;
    case 'beat':
      agents.get(c.id)!.beat = c.beat;
      return;
    case 'send':
      agents.get(c.id)!.send(c.message);
      return;
    case 'close':
      agents.get(c.id)!.close().then(done, failed);
      agents.delete(c.id);
  }
});
