/**
 * Misbehaving servers on 127.0.0.1 for failure tests: one that accepts connections and never answers
 * (slow), one that answers any connection with bytes that are not the expected protocol (garbage), and
 * an HTTP server answering whatever the test says.
 */
import { createServer as createHttpServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:net';
import type { AddressInfo, Server, Socket } from 'node:net';

export interface FaultServer {
  port: number;
  /** Connections accepted so far. */
  connections(): number;
  stop(): Promise<void>;
}

async function listen(server: Server, sockets: Set<Socket>): Promise<FaultServer> {
  let count = 0;
  server.on('connection', (socket: Socket) => {
    count += 1;
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    port,
    connections: () => count,
    stop: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Accepts TCP connections and never sends a byte. */
export function startSilentServer(): Promise<FaultServer> {
  const sockets = new Set<Socket>();
  return listen(createServer(), sockets);
}

/** Sends `payload` on connect and after anything the client sends, then keeps the connection open. */
export function startGarbageServer(
  payload = 'HTTP/1.0 418 I am a teapot\r\n\r\n<html>not this protocol</html>\r\n',
): Promise<FaultServer> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    socket.write(payload);
    socket.on('data', () => socket.write(payload));
  });
  return listen(server, sockets);
}

/** An HTTP server whose every response is decided by `handler`. */
export function startHttpResponder(
  handler: (req: IncomingMessage, res: ServerResponse) => void,
): Promise<FaultServer> {
  const sockets = new Set<Socket>();
  const server = createHttpServer(handler);
  return listen(server, sockets);
}
