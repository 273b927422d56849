import { locateBinaries } from './harness.ts';

/** Fails the run up front, with instructions, when the control-plane binaries have not been built. */
export default async function setup(): Promise<void> {
  await locateBinaries();
}
