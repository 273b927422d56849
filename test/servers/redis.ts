/** A real redis-server (Debian package redis-server) on 127.0.0.1, with an ACL user for auth tests. */
import { createConnection } from 'node:net';
import { findExecutable, freePort, launchServer, MissingServerError } from './process.ts';

export interface RedisServer {
  host: string;
  port: number;
  /** An ACL user with a password (the default user needs none). */
  username: string;
  password: string;
  stop(): Promise<void>;
}

function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.setTimeout(500, () => socket.destroy());
    socket.once('error', () => resolve(false));
    socket.once('close', () => resolve(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (data) => {
      resolve(data.toString().startsWith('+PONG'));
      socket.destroy();
    });
  });
}

export async function startRedis(): Promise<RedisServer> {
  const binary = findExecutable('redis-server');
  if (!binary) throw new MissingServerError('redis-server', 'apt-get install -y redis-server');
  const port = await freePort();
  const username = 'spillway';
  const password = `redis-pw-${Math.random().toString(36).slice(2)}`;
  const stop = await launchServer({
    name: 'redis',
    label: 'redis-server',
    command: binary,
    args: (dir) => [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--dir',
      dir,
      '--save',
      '',
      '--appendonly',
      'no',
      '--daemonize',
      'no',
      '--user',
      username,
      'on',
      `>${password}`,
      '~*',
      '&*',
      '+@all',
    ],
    ready: () => ping(port),
    timeoutMs: 10_000,
  });
  return { host: '127.0.0.1', port, username, password, stop };
}
