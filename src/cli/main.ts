#!/usr/bin/env node
/**
 * The `spillway` command. The composition root: the only place that builds real adapters.
 */
import { Command } from 'commander';
import { registerCrdCommand } from './crd.ts';
import { registerDemoCommand } from './demo.ts';
import { registerExplainCommand } from './explain.ts';
import { registerRunCommand } from './run.ts';
import { registerSimulateCommand } from './simulate.ts';

export function buildProgram(): Command {
  const program = new Command('spillway')
    .description(
      'Hybrid burst autoscaler for Kubernetes on Azure: overflow replicas run on Azure Container Instances.',
    )
    .showHelpAfterError();
  registerDemoCommand(program);
  registerCrdCommand(program);
  registerExplainCommand(program);
  registerRunCommand(program);
  registerSimulateCommand(program);
  return program;
}

await buildProgram().parseAsync(process.argv);
