/**
 * Azurite's queue service (npm devDependency `azurite`) on 127.0.0.1, in memory. Run from
 * node_modules/.bin directly (through npx, stopping it would leave a child behind), with
 * --disableTelemetry, using the Node that runs the tests.
 */
import { existsSync, realpathSync } from 'node:fs';
import { createConnection } from 'node:net';
import { join } from 'node:path';
import { freePort, launchServer, MissingServerError } from './process.ts';

/** Azurite's well-known development account (public, documented by Microsoft). */
export const AZURITE_ACCOUNT = 'devstoreaccount1';
export const AZURITE_KEY =
  'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

export interface AzuriteServer {
  port: number;
  /** A storage connection string for the dev account (QueueEndpoint on 127.0.0.1). */
  connectionString: string;
  stop(): Promise<void>;
}

const connectionStringFor = (port: number, key = AZURITE_KEY) =>
  `DefaultEndpointsProtocol=http;AccountName=${AZURITE_ACCOUNT};AccountKey=${key};` +
  `QueueEndpoint=http://127.0.0.1:${port}/${AZURITE_ACCOUNT};`;

/** The same endpoint with a different (wrong) account key, for auth failures. */
export const azuriteConnectionString = connectionStringFor;

const canConnect = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });

export async function startAzurite(): Promise<AzuriteServer> {
  const bin = join(process.cwd(), 'node_modules', '.bin', 'azurite-queue');
  if (!existsSync(bin))
    throw new MissingServerError('azurite-queue', 'npm install (azurite is a devDependency)');
  const port = await freePort();
  const stop = await launchServer({
    name: 'azurite',
    label: 'azurite-queue',
    command: process.execPath,
    args: () => [
      realpathSync(bin),
      '--queueHost',
      '127.0.0.1',
      '--queuePort',
      String(port),
      '--inMemoryPersistence',
      '--disableTelemetry',
      '--skipApiVersionCheck',
      '--loose',
      '--silent',
    ],
    ready: () => canConnect(port),
    timeoutMs: 20_000,
  });
  return { port, connectionString: connectionStringFor(port), stop };
}
