/**
 * For test files: get a real server from the hub (started once per run by the global setup).
 *
 *   const redis = await useServer('redis');
 *   describe.skipIf(!redis)('redis-list', () => { ... });
 *
 * When the server's program is not installed the test is skipped with a loud message naming the
 * package to install; under CI (CI=true), where .ci/run installs everything, it fails instead.
 */
import { describe, inject, it } from 'vitest';
import type { ServerInfo, ServerName } from './hub.ts';

export type { ServerInfo, ServerName } from './hub.ts';

/** The servers the signals suite uses; asking for one warms up the others in the background. */
export const SIGNAL_SERVERS: readonly ServerName[] = ['azurite', 'prometheus', 'rabbitmq', 'redis'];

export async function useServer<N extends ServerName>(
  name: N,
  warm: readonly ServerName[] = [],
): Promise<ServerInfo[N] | undefined> {
  const hub = inject('serverHub');
  if (!hub)
    throw new Error('no server hub: add test/servers/global-setup.ts to globalSetup in vitest.config.ts');
  const url = new URL(`/servers/${name}`, hub);
  if (warm.length) url.searchParams.set('warm', warm.join(','));
  const response = await fetch(url);
  const body = (await response.json()) as
    { ok: true; info: ServerInfo[N] } | { ok: false; missing?: string; error?: string };
  if (body.ok) return body.info;
  if (body.missing) {
    const message = `SKIPPED: tests that need ${name}: ${body.missing}`;
    if (process.env.CI) throw new Error(`${message} (CI must install it: see .ci/run)`);
    console.warn(`\n*** ${message} ***\n`);
    return undefined;
  }
  throw new Error(`starting ${name} for the tests failed: ${body.error}`);
}

/**
 * `describe(title, body)` with the server passed in; when the server is missing (useServer returned
 * undefined after its warning) the block is reported as skipped instead.
 */
export function describeWithServer<T>(title: string, server: T | undefined, body: (server: T) => void): void {
  if (server === undefined) {
    describe.skip(title, () => {
      it('needs a server that is not installed here (see the SKIPPED warning)', () => undefined);
    });
    return;
  }
  describe(title, () => body(server));
}
