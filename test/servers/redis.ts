/** A real redis-server (Debian package redis-server) on 127.0.0.1, with an ACL user for auth tests. */
import { createConnection } from 'node:net';
import { findExecutable, freePort, MissingServerError, pollUntil, startProcess, tempDir } from './process.ts';

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
  const dir = tempDir('redis');
  const port = await freePort();
  const username = 'spillway';
  const password = `redis-pw-${Math.random().toString(36).slice(2)}`;
  const proc = startProcess(
    'redis',
    binary,
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--dir',
      dir.path,
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
    { logDir: dir.path },
  );
  try {
    await pollUntil('redis-server', async () => ((await ping(port)) ? true : undefined), {
      timeoutMs: 10_000,
      everyMs: 50,
      process: proc,
    });
  } catch (error) {
    await proc.stop(0);
    dir.remove();
    throw error;
  }
  return {
    host: '127.0.0.1',
    port,
    username,
    password,
    async stop() {
      await proc.stop(2000);
      dir.remove();
    },
  };
}
