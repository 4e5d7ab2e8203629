// Core's UI for a browser inside a lab namespace: Core listens on loopback, which a namespace
// cannot reach, so this forwards a port on the lab's admin address (reachable from the lab's
// switch) to it. The browser then runs in its own namespace, where no other lab's interfaces
// come and go (Chromium aborts page loads on ERR_NETWORK_CHANGED). Gone when disposed.
import { connect, createServer, type Socket } from 'node:net';

export async function forwardToLoopback(address: string, targetPort: number): Promise<{ port: number } & AsyncDisposable> {
  const sockets = new Set<Socket>();
  const server = createServer((inbound) => {
    const outbound = connect(targetPort, '127.0.0.1');
    for (const s of [inbound, outbound]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => undefined);
    }
    inbound.pipe(outbound).pipe(inbound);
    inbound.on('close', () => outbound.destroy());
    outbound.on('close', () => inbound.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, address, () => resolve());
  });
  const port = (server.address() as { port: number }).port;
  return {
    port,
    [Symbol.asyncDispose]: async () => {
      for (const s of sockets) s.destroy();
      await new Promise((r) => server.close(r));
    },
  };
}
