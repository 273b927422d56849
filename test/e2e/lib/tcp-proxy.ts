/**
 * A TCP pass-through on 127.0.0.1 that can be cut at once: what an in-process Spillway sees of the world
 * when its process is killed. Everything the proxy relayed has reached the server; after
 * {@link TcpProxy.sever} nothing more does — open connections are reset and new ones refused, exactly as
 * for a process that died mid-request. TLS passes through untouched (the client still verifies the
 * server's certificate, which names 127.0.0.1).
 */
import { createServer, connect, type Server, type Socket } from 'node:net';
import { HarnessError } from './errors.ts';

/** A running proxy. */
export interface TcpProxy {
  /** The loopback port clients connect to. */
  readonly port: number;
  /** Connections accepted so far. */
  readonly connections: number;
  /** Whether {@link sever} has been called. */
  readonly severed: boolean;
  /** Resets every open connection (both sides) and refuses new ones. Safe to call more than once. */
  sever(): Promise<void>;
}

/** Starts a proxy from an ephemeral loopback port to `target`. */
export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const sockets = new Set<Socket>();
  let accepted = 0;
  let severed = false;
  const server: Server = createServer((client) => {
    accepted += 1;
    const upstream = connect({ host: target.host, port: target.port });
    sockets.add(client);
    sockets.add(upstream);
    const drop = (): void => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  const port = await new Promise<number>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      if (address === null || typeof address === 'string')
        reject(new HarnessError('the TCP proxy has no port'));
      else resolve(address.port);
    });
  });
  return {
    port,
    get connections() {
      return accepted;
    },
    get severed() {
      return severed;
    },
    async sever() {
      if (severed) return;
      severed = true;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of sockets) socket.resetAndDestroy();
      sockets.clear();
      await closed;
    },
  };
}
