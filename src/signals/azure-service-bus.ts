/**
 * `azure-service-bus`: active message count of a Service Bus queue or topic subscription, read with the
 * administration client (`getQueueRuntimeProperties` / `getSubscriptionRuntimeProperties`), like KEDA's
 * `azure-servicebus` scaler.
 *
 * Metadata: `queueName`, or `topicName` and `subscriptionName`; `namespace` (with workload identity: the
 * namespace name or its fully qualified host); `endpointSuffix` (default `servicebus.windows.net`).
 * Credentials: an authenticationRef to a Secret with key `connection` (a namespace connection string),
 * or workload identity (kind WorkloadIdentity, or no authenticationRef and a `namespace`).
 */
import type { TokenCredential } from '@azure/identity';
import { ServiceBusAdministrationClient } from '@azure/service-bus';
import type { ServiceBusAdministrationClientOptions } from '@azure/service-bus';
import type { TriggerPolicy } from '../core/types.ts';
import type { SignalContext, SignalSource, SignalValue } from '../ports.ts';
import { requireKey, resolveCredentials } from './auth.ts';
import { azureReadError } from './azure-errors.ts';
import { lazyDefaultCredential } from './azure-identity.ts';
import { SignalReadError } from './errors.ts';
import { Metadata, checkAuthKind } from './metadata.ts';

export interface AzureServiceBusSourceOptions {
  /** Token credential for workload identity; default: DefaultAzureCredential, created on first use. */
  credential?: () => TokenCredential;
  /**
   * Options for the administration client's HTTP pipeline (e.g. an `agent` trusting a private CA or a
   * proxy). Retries are always off: the reader's interval is the retry.
   */
  clientOptions?: ServiceBusAdministrationClientOptions;
}

type Entity =
  | { kind: 'queue'; queueName: string }
  | { kind: 'subscription'; topicName: string; subscriptionName: string };

function settingsOf(trigger: TriggerPolicy) {
  checkAuthKind(trigger, ['Secret', 'WorkloadIdentity']);
  const md = new Metadata(trigger);
  const queueName = md.optional('queueName');
  const topicName = md.optional('topicName');
  const subscriptionName = md.optional('subscriptionName');
  let entity: Entity;
  if (queueName) {
    if (topicName || subscriptionName)
      throw md.error('topicName', 'set either queueName, or topicName and subscriptionName');
    entity = { kind: 'queue', queueName };
  } else if (topicName && subscriptionName) {
    entity = { kind: 'subscription', topicName, subscriptionName };
  } else if (topicName) {
    throw md.error('subscriptionName', 'required with topicName');
  } else {
    throw md.error('queueName', 'required (or topicName and subscriptionName)');
  }
  const namespace = md.optional('namespace');
  const endpointSuffix = md.optional('endpointSuffix') ?? 'servicebus.windows.net';
  const workloadIdentity =
    trigger.authenticationRef?.kind === 'WorkloadIdentity' || (!trigger.authenticationRef && !!namespace);
  if (workloadIdentity && !namespace) throw md.error('namespace', 'required with workload identity');
  if (!trigger.authenticationRef && !namespace) {
    throw md.error('namespace', 'required, or an authenticationRef to a Secret with key "connection"');
  }
  const host = namespace && (namespace.includes('.') ? namespace : `${namespace}.${endpointSuffix}`);
  return { entity, host, workloadIdentity };
}

const describe = (entity: Entity): string =>
  entity.kind === 'queue'
    ? `queue ${entity.queueName}`
    : `subscription ${entity.subscriptionName} of topic ${entity.topicName}`;

export class AzureServiceBusSource implements SignalSource {
  readonly type = 'azure-service-bus' as const;
  readonly #credential: () => TokenCredential;
  readonly #clientOptions: ServiceBusAdministrationClientOptions;

  constructor(options: AzureServiceBusSourceOptions = {}) {
    this.#credential = options.credential ?? lazyDefaultCredential();
    this.#clientOptions = { ...options.clientOptions, retryOptions: { maxRetries: 0 } };
  }

  validate(trigger: TriggerPolicy): void {
    settingsOf(trigger);
  }

  async read(trigger: TriggerPolicy, context: SignalContext): Promise<SignalValue> {
    const { entity, host, workloadIdentity } = settingsOf(trigger);
    const credentials = await resolveCredentials(trigger, context);
    const secrets = credentials.secrets;
    let what = describe(entity);
    let client: ServiceBusAdministrationClient;
    if (workloadIdentity && host) {
      what += ` in ${host}`;
      try {
        client = new ServiceBusAdministrationClient(host, this.#credential(), this.#clientOptions);
      } catch (error) {
        throw azureReadError(trigger, what, error, context.signal, secrets);
      }
    } else {
      const connection = requireKey(trigger, context, credentials, 'connection');
      try {
        client = new ServiceBusAdministrationClient(connection, this.#clientOptions);
      } catch (error) {
        throw new SignalReadError(
          trigger,
          what,
          'auth',
          'the Secret key "connection" is not a valid Service Bus connection string',
          { cause: error },
        );
      }
      const endpoint = /Endpoint=sb:\/\/([^/;]+)/i.exec(connection)?.[1];
      if (endpoint) what += ` in ${endpoint}`;
    }
    try {
      const options = { abortSignal: context.signal };
      const properties =
        entity.kind === 'queue'
          ? await client.getQueueRuntimeProperties(entity.queueName, options)
          : await client.getSubscriptionRuntimeProperties(entity.topicName, entity.subscriptionName, options);
      const count = properties.activeMessageCount;
      if (typeof count !== 'number' || !Number.isFinite(count)) {
        throw new SignalReadError(trigger, what, 'bad-response', 'the response has no active message count');
      }
      return { value: count };
    } catch (error) {
      throw azureReadError(trigger, what, error, context.signal, secrets);
    }
  }
}
