#!/usr/bin/env node
/**
 * The `spillway` command. The composition root: the only place that builds real adapters.
 */
import { Command } from 'commander';
import { registerCrdCommand } from './crd.ts';
import { registerRunCommand } from './run.ts';

export function buildProgram(): Command {
  const program = new Command('spillway')
    .description(
      'Hybrid burst autoscaler for Kubernetes on Azure: overflow replicas run on Azure Container Instances.',
    )
    .showHelpAfterError();
  program
    .command('demo')
    .description('Run Spillway on a simulated AKS cluster and simulated ACI (no cloud account needed).')
    .action(() => {
      process.stdout.write('demo not ready yet: the simulator lands with the simulator issue.\n');
    });
  registerCrdCommand(program);
  registerRunCommand(program);
  return program;
}

await buildProgram().parseAsync(process.argv);
