/**
 * vitest globalSetup: starts the server hub (test/servers/hub.ts), which starts real servers on demand,
 * once per run, and stops them all when the run ends.
 */
import type { TestProject } from 'vitest/node';
import { startServerHub } from './hub.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** URL of the server hub on 127.0.0.1. */
    serverHub: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const hub = await startServerHub();
  project.provide('serverHub', hub.url);
  return () => hub.stop();
}
