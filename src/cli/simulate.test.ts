import { Command } from 'commander';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compilePolicy } from '../spec/compile.ts';
import { burstScalerObject, spillwayServiceLevel } from '../sim/scenario.ts';
import { registerSimulateCommand, scenarioFrom } from './simulate.ts';

/** Runs `spillway simulate ARGS` in-process; returns what it wrote, or the error commander raised. */
async function simulateCli(args: string[]): Promise<{ stdout: string; stderr: string; error?: Error }> {
  let stdout = '';
  let stderr = '';
  const program = new Command('spillway')
    .exitOverride()
    .configureOutput({ writeOut: (t) => (stdout += t), writeErr: (t) => (stderr += t) });
  registerSimulateCommand(program, {
    stdout: (t) => (stdout += t),
    stderr: (t) => (stderr += t),
    tty: false,
  });
  // Subcommands inherit exitOverride only when it is set before they are added; set it on them as well.
  for (const command of program.commands) command.exitOverride();
  try {
    await program.parseAsync(['simulate', ...args], { from: 'user' });
    return { stdout, stderr };
  } catch (error) {
    return { stdout, stderr, error: error as Error };
  }
}

describe('spillway simulate: the service level Spillway is told', () => {
  it('is the scenario’s SLO and service rate by default, and absent with --no-service-level', () => {
    const told = compilePolicy(burstScalerObject(scenarioFrom({ sloSeconds: 90.5, serviceRate: 2 })));
    // Whole seconds, rounded down: the wait Spillway aims for is never longer than the SLO measured.
    expect(told.burst.serviceLevel).toEqual({ maxQueueWaitSeconds: 90, messagesPerSecondPerReplica: 2 });
    const notTold = compilePolicy(burstScalerObject(scenarioFrom({ serviceLevel: false })));
    expect(notTold.burst.serviceLevel).toBeUndefined();
  });

  it('is left out, and the table says so, when the SLO is no longer than an ACI start', () => {
    const short = scenarioFrom({ sloSeconds: 15 });
    expect(compilePolicy(burstScalerObject(short)).burst.serviceLevel).toBeUndefined();
    expect(spillwayServiceLevel(short)).toBeUndefined();
  });
});

describe('spillway simulate (the command)', () => {
  let dir = '';
  let trace = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'spillway-simulate-'));
    trace = join(dir, 'spike.csv');
    // Ten minutes: quiet, a two-minute surge of 40 messages/s, quiet again.
    const rows = Array.from({ length: 600 }, (_, t) => `${t},${t >= 120 && t < 240 ? 40 : 2}`);
    await writeFile(trace, ['second,messages', ...rows].join('\n') + '\n');
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('says in the table whether Spillway was told the SLO, and sizes ACI by it only when it was', async () => {
    const run = async (...extra: string[]) => {
      const out = await simulateCli(['--trace', trace, '--policies', 'spillway', '--json', ...extra]);
      expect(out.error).toBeUndefined();
      return JSON.parse(out.stdout) as {
        scenario: { serviceLevel: boolean };
        policies: { aciReplicaSeconds: number; sloSecondsMissed: number }[];
      };
    };
    const told = await run();
    const notTold = await run('--no-service-level');
    expect(told.scenario.serviceLevel).toBe(true);
    expect(notTold.scenario.serviceLevel).toBe(false);
    // The surge overflows to ACI either way; told the SLO, Spillway runs fewer ACI replica-seconds for it.
    expect(notTold.policies[0]!.aciReplicaSeconds).toBeGreaterThan(0);
    expect(told.policies[0]!.aciReplicaSeconds).toBeLessThan(notTold.policies[0]!.aciReplicaSeconds);

    const table = await simulateCli(['--trace', trace, '--policies', 'spillway', '--no-service-level']);
    expect(table.stdout).toContain(
      "SLO 60 s queue wait (Spillway is not told it: ACI follows the trigger's target)",
    );
  });

  it('--scheduler most-allocated packs pods; the table and the JSON say which scheduler ran', async () => {
    expect(scenarioFrom({}).scheduler).toBe('LeastAllocated');
    expect(scenarioFrom({ scheduler: 'most-allocated' }).scheduler).toBe('MostAllocated');
    const packed = ['--trace', trace, '--policies', 'vm-only', '--scheduler', 'most-allocated'];
    const json = await simulateCli([...packed, '--json']);
    expect(json.error).toBeUndefined();
    expect((JSON.parse(json.stdout) as { scenario: { scheduler: string } }).scenario.scheduler).toBe(
      'MostAllocated',
    );
    const table = await simulateCli(packed);
    expect(table.stdout).toContain('scheduler MostAllocated (packs pods; the default spreads them)');
    const bad = await simulateCli(['--trace', trace, '--scheduler', 'random']);
    expect(bad.error).toBeDefined();
    expect(bad.stderr).toContain("option '--scheduler <strategy>' argument 'random' is invalid");
    expect(bad.stdout).toBe('');
  });

  it('rejects a bad number naming the flag, and runs nothing', async () => {
    const out = await simulateCli(['--trace', trace, '--slo-seconds', '0']);
    expect(out.error).toBeDefined();
    expect(out.stderr).toContain('--slo-seconds must be a number above 0, got "0"');
    expect(out.stdout).toBe('');
  });
});
