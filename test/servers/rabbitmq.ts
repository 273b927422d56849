/**
 * A real RabbitMQ (Debian package rabbitmq-server) on 127.0.0.1 with the management plugin.
 *
 * Started from /usr/lib/rabbitmq/bin/rabbitmq-server (not the service wrapper) with its own node name,
 * ports, HOME, epmd (our own child, bound to 127.0.0.1), mnesia/log/config in a temp folder, and
 * `collect_statistics_interval = 500` plus 1-second management sampling (advanced.config), so the
 * management API shows a new queue count within about a second instead of five. A user with a random
 * password and a second vhost (`shop`) are loaded from a definitions file.
 */
import { createHash, randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { join } from 'node:path';
import { findExecutable, freePort, MissingServerError, pollUntil, startProcess, tempDir } from './process.ts';

const SERVER = '/usr/lib/rabbitmq/bin/rabbitmq-server';

/** Whether a TCP connection to 127.0.0.1:`port` is accepted. */
function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

export interface RabbitMqServer {
  host: string;
  amqpPort: number;
  managementPort: number;
  username: string;
  password: string;
  /** Management API base, e.g. http://127.0.0.1:15672 (no credentials). */
  managementUrl: string;
  /** Node name, for log messages. */
  node: string;
  stop(): Promise<void>;
}

/** RabbitMQ's rabbit_password_hashing_sha256: base64(salt ++ sha256(salt ++ password)). */
function passwordHash(password: string): string {
  const salt = randomBytes(4);
  const digest = createHash('sha256')
    .update(Buffer.concat([salt, Buffer.from(password, 'utf8')]))
    .digest();
  return Buffer.concat([salt, digest]).toString('base64');
}

export async function startRabbitMq(): Promise<RabbitMqServer> {
  const epmd = findExecutable('epmd') ?? findExecutable('/usr/lib/erlang/bin/epmd');
  if (!findExecutable(SERVER) || !epmd) {
    throw new MissingServerError('rabbitmq-server', 'apt-get install -y rabbitmq-server');
  }
  const dir = tempDir('rabbitmq');
  const [amqpPort, managementPort, epmdPort, distPort] = await Promise.all([
    freePort(),
    freePort(),
    freePort(),
    freePort(),
  ]);
  const username = 'spillway';
  const password = `rabbit-pw-${randomBytes(6).toString('hex')}`;
  const node = `spillway-test-${process.pid}@localhost`;
  const definitions = {
    users: [
      {
        name: username,
        password_hash: passwordHash(password),
        hashing_algorithm: 'rabbit_password_hashing_sha256',
        tags: ['administrator'],
      },
    ],
    vhosts: [{ name: '/' }, { name: 'shop' }],
    permissions: [
      { user: username, vhost: '/', configure: '.*', write: '.*', read: '.*' },
      { user: username, vhost: 'shop', configure: '.*', write: '.*', read: '.*' },
    ],
  };
  writeFileSync(join(dir.path, 'definitions.json'), JSON.stringify(definitions));
  writeFileSync(
    join(dir.path, 'rabbitmq.conf'),
    [
      `listeners.tcp.default = 127.0.0.1:${amqpPort}`,
      `management.tcp.ip = 127.0.0.1`,
      `management.tcp.port = ${managementPort}`,
      `collect_statistics_interval = 500`,
      `management.rates_mode = basic`,
      `definitions.import_backend = local_filesystem`,
      `definitions.local.path = ${join(dir.path, 'definitions.json')}`,
      `log.console = true`,
      `log.file = false`,
      '',
    ].join('\n'),
  );
  // The management agent samples queue metrics at the smallest interval of its retention policies
  // (5 s by default); 1 s here, with collect_statistics_interval 500 ms, shows a new count within ~1 s.
  writeFileSync(
    join(dir.path, 'advanced.config'),
    '[{rabbitmq_management_agent, [{sample_retention_policies, ' +
      '[{global, [{605, 1}]}, {basic, [{605, 1}]}, {detailed, [{605, 1}]}]}]}].\n',
  );
  writeFileSync(join(dir.path, 'enabled_plugins'), '[rabbitmq_management].\n');
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    LANG: 'C.UTF-8',
    HOME: dir.path,
    RABBITMQ_NODENAME: node,
    RABBITMQ_NODE_IP_ADDRESS: '127.0.0.1',
    RABBITMQ_NODE_PORT: String(amqpPort),
    RABBITMQ_DIST_PORT: String(distPort),
    ERL_EPMD_ADDRESS: '127.0.0.1',
    ERL_EPMD_PORT: String(epmdPort),
    RABBITMQ_MNESIA_BASE: join(dir.path, 'mnesia'),
    RABBITMQ_LOG_BASE: join(dir.path, 'log'),
    RABBITMQ_CONFIG_FILE: join(dir.path, 'rabbitmq.conf'),
    RABBITMQ_ENABLED_PLUGINS_FILE: join(dir.path, 'enabled_plugins'),
    RABBITMQ_ADVANCED_CONFIG_FILE: join(dir.path, 'advanced.config'),
    RABBITMQ_CONF_ENV_FILE: join(dir.path, 'rabbitmq-env.conf'),
    RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS: '-kernel inet_dist_use_interface {127,0,0,1}',
  };
  writeFileSync(join(dir.path, 'rabbitmq-env.conf'), '');
  // Our own epmd in the foreground, so it stops with us (erl would otherwise leave a daemon behind).
  const epmdProc = startProcess('epmd', epmd, ['-port', String(epmdPort), '-address', '127.0.0.1'], {
    env,
    logDir: dir.path,
  });
  const server = startProcess('rabbitmq', SERVER, [], { env, logDir: dir.path });
  const managementUrl = `http://127.0.0.1:${managementPort}`;
  const auth = `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
  const stop = async () => {
    // Its data is thrown away, so no graceful shutdown (that takes 3-5 s).
    await server.stop(0);
    await epmdProc.stop(500);
    dir.remove();
  };
  try {
    await pollUntil(
      'rabbitmq-server',
      async () => {
        // The management listener can answer before the AMQP listener is up: wait for both.
        const response = await fetch(`${managementUrl}/api/overview`, { headers: { authorization: auth } });
        return response.ok && (await accepts(amqpPort)) ? true : undefined;
      },
      { timeoutMs: 60_000, everyMs: 200, process: server },
    );
  } catch (error) {
    await stop();
    throw error;
  }
  return { host: '127.0.0.1', amqpPort, managementPort, username, password, managementUrl, node, stop };
}
