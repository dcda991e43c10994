/**
 * A TCP proxy that models a network link: every chunk is delayed by half the round trip in its
 * direction (order kept), and the client's first bytes wait one extra round trip, standing in
 * for the TCP handshake that loopback completes at once. Unlike the server's own `roundTripMs`
 * (which delays only WebSocket messages after the upgrade), this makes the TCP, TLS and upgrade
 * handshakes of a fresh connection cost what they cost on a real network.
 */
import net from 'node:net';

export interface DelayProxy {
  port: number;
  close(): Promise<void>;
}

type Item = { kind: 'data'; chunk: Buffer } | { kind: 'end' } | { kind: 'destroy' };

/** Forwards `from` to `to` with a fixed delay per item, keeping order. */
function pipeDelayed(from: net.Socket, to: net.Socket, delayMs: number, firstExtraMs: number): void {
  const queue: Array<{ item: Item; due: number }> = [];
  let timer: NodeJS.Timeout | undefined;
  let lastDue = 0;
  let first = true;
  const push = (item: Item): void => {
    // Dues never go backwards, so a later item never overtakes an earlier one.
    const due = Math.max(lastDue, performance.now() + delayMs + (first ? firstExtraMs : 0));
    first = false;
    lastDue = due;
    queue.push({ item, due });
    arm();
  };
  const arm = (): void => {
    if (timer || queue.length === 0) return;
    timer = setTimeout(flush, Math.max(0, queue[0]!.due - performance.now()));
  };
  const flush = (): void => {
    timer = undefined;
    const now = performance.now() + 0.5; // timers fire up to ~1 ms early or late
    while (queue.length > 0 && queue[0]!.due <= now) {
      const { item } = queue.shift()!;
      if (to.destroyed) continue;
      if (item.kind === 'data') to.write(item.chunk);
      else if (item.kind === 'end') to.end();
      else to.destroy();
    }
    arm();
  };
  from.on('data', (chunk: Buffer) => push({ kind: 'data', chunk }));
  from.on('end', () => push({ kind: 'end' }));
  from.on('close', () => push({ kind: 'destroy' }));
  from.on('error', () => undefined);
}

/** Listens on 127.0.0.1 (ephemeral port) and forwards to `targetPort` with `rttMs` of latency. */
export async function startDelayProxy(targetPort: number, rttMs: number): Promise<DelayProxy> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(targetPort, '127.0.0.1');
    for (const socket of [client, upstream]) {
      socket.setNoDelay(true);
      sockets.add(socket);
      socket.once('close', () => sockets.delete(socket));
    }
    pipeDelayed(client, upstream, rttMs / 2, rttMs);
    pipeDelayed(upstream, client, rttMs / 2, 0);
  });
  // Fresh-connection bursts of 1,000 must not overflow the accept queue (Node's default is 511).
  await new Promise<void>((resolve) => server.listen({ port: 0, host: '127.0.0.1', backlog: 4096 }, resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
