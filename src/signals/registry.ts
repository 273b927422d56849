/**
 * The one explicit list of signal sources, sorted by type. Adding a source: see
 * docs/adding-a-signal-source.md.
 */
import type { TokenCredential } from '@azure/identity';
import type { ServiceBusAdministrationClientOptions } from '@azure/service-bus';
import type { TriggerPolicy } from '../core/types.ts';
import type { SignalSource } from '../ports.ts';
import { AzureServiceBusSource } from './azure-service-bus.ts';
import { AzureStorageQueueSource } from './azure-storage-queue.ts';
import { lazyDefaultCredential } from './azure-identity.ts';
import { CpuSource } from './cpu.ts';
import { CronSource } from './cron.ts';
import { SignalConfigError } from './errors.ts';
import { MemorySource } from './memory.ts';
import { PendingPodsSource } from './pending-pods.ts';
import { PrometheusSource } from './prometheus.ts';
import { RabbitMqSource } from './rabbitmq.ts';
import { RedisListSource } from './redis-list.ts';
import { RedisStreamSource } from './redis-stream.ts';

export interface SignalSourcesOptions {
  /** Token credential for workload identity (Azure sources); default: one DefaultAzureCredential, lazily. */
  azureCredential?: () => TokenCredential;
  /** HTTP pipeline options for the Service Bus administration client (proxy, agent). */
  serviceBusClientOptions?: ServiceBusAdministrationClientOptions;
}

/** Every source, sorted by type. */
export function createSignalSources(options: SignalSourcesOptions = {}): SignalSource[] {
  const credential = options.azureCredential ?? lazyDefaultCredential();
  return [
    new AzureServiceBusSource({ credential, clientOptions: options.serviceBusClientOptions }),
    new AzureStorageQueueSource({ credential }),
    new CpuSource(),
    new CronSource(),
    new MemorySource(),
    new PendingPodsSource(),
    new PrometheusSource(),
    new RabbitMqSource(),
    new RedisListSource(),
    new RedisStreamSource(),
  ];
}

/** The source for a trigger type, or undefined when no source has that type. */
export function sourceFor(type: string, sources: readonly SignalSource[]): SignalSource | undefined {
  return sources.find((source) => source.type === type);
}

/**
 * Validates one trigger against its source (pure). Throws SignalConfigError naming the trigger and field,
 * including for a type no source implements.
 */
export function validateTrigger(trigger: TriggerPolicy, sources: readonly SignalSource[]): void {
  const source = sourceFor(trigger.type, sources);
  if (!source) {
    throw SignalConfigError.forField(
      trigger,
      'type',
      `unknown trigger type ${JSON.stringify(trigger.type)}; one of ${sources.map((s) => s.type).join(', ')}`,
    );
  }
  source.validate(trigger);
}
