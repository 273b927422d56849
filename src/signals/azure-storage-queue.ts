/**
 * `azure-storage-queue`: approximate message count of an Azure Storage queue (`@azure/storage-queue`
 * `getProperties().approximateMessagesCount`), like KEDA's `azure-queue` scaler.
 *
 * Metadata: `queueName` (required); `accountName` (with workload identity); `endpointSuffix` (default
 * `core.windows.net`, e.g. `core.chinacloudapi.cn`). Credentials: an authenticationRef to a Secret with
 * key `connection` (a storage connection string), or workload identity (authenticationRef kind
 * WorkloadIdentity, or no authenticationRef and an `accountName`), through DefaultAzureCredential.
 */
import type { TokenCredential } from '@azure/identity';
import { QueueClient } from '@azure/storage-queue';
import type { TriggerPolicy } from '../core/types.ts';
import type { SignalContext, SignalSource, SignalValue } from '../ports.ts';
import { requireKey, resolveCredentials } from './auth.ts';
import { azureReadError } from './azure-errors.ts';
import { lazyDefaultCredential } from './azure-identity.ts';
import { SignalReadError } from './errors.ts';
import { Metadata, checkAuthKind } from './metadata.ts';

export interface AzureStorageQueueSourceOptions {
  /** Token credential for workload identity; default: DefaultAzureCredential, created on first use. */
  credential?: () => TokenCredential;
}

function settingsOf(trigger: TriggerPolicy) {
  checkAuthKind(trigger, ['Secret', 'WorkloadIdentity']);
  const md = new Metadata(trigger);
  const queueName = md.required('queueName');
  if (!/^[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9]$/.test(queueName)) {
    throw md.error(
      'queueName',
      `must be 3-63 lowercase letters, digits and single hyphens, starting and ending with a letter or digit, got ${JSON.stringify(queueName)}`,
    );
  }
  const accountName = md.optional('accountName');
  if (accountName && !/^[a-z0-9]{3,24}$/.test(accountName)) {
    throw md.error(
      'accountName',
      `must be 3-24 lowercase letters and digits, got ${JSON.stringify(accountName)}`,
    );
  }
  const workloadIdentity =
    trigger.authenticationRef?.kind === 'WorkloadIdentity' || (!trigger.authenticationRef && !!accountName);
  if (workloadIdentity && !accountName) throw md.error('accountName', 'required with workload identity');
  if (!trigger.authenticationRef && !accountName) {
    throw md.error('accountName', 'required, or an authenticationRef to a Secret with key "connection"');
  }
  const endpointSuffix = md.optional('endpointSuffix') ?? 'core.windows.net';
  return { queueName, accountName, workloadIdentity, endpointSuffix };
}

export class AzureStorageQueueSource implements SignalSource {
  readonly type = 'azure-storage-queue' as const;
  readonly #credential: () => TokenCredential;

  constructor(options: AzureStorageQueueSourceOptions = {}) {
    this.#credential = options.credential ?? lazyDefaultCredential();
  }

  validate(trigger: TriggerPolicy): void {
    settingsOf(trigger);
  }

  async read(trigger: TriggerPolicy, context: SignalContext): Promise<SignalValue> {
    const settings = settingsOf(trigger);
    const credentials = await resolveCredentials(trigger, context);
    const secrets = credentials.secrets;
    let client: QueueClient;
    let what = `queue ${settings.queueName}`;
    // One try per read: the reader's interval is the retry, and a read must end within its timeout.
    const options = { retryOptions: { maxTries: 1 } };
    if (settings.workloadIdentity) {
      const url = `https://${settings.accountName}.queue.${settings.endpointSuffix}/${settings.queueName}`;
      what = `queue ${settings.queueName} in account ${settings.accountName}`;
      try {
        client = new QueueClient(url, this.#credential(), options);
      } catch (error) {
        throw azureReadError(trigger, what, error, context.signal, secrets);
      }
    } else {
      const connection = requireKey(trigger, context, credentials, 'connection');
      try {
        client = new QueueClient(connection, settings.queueName, options);
      } catch (error) {
        throw new SignalReadError(
          trigger,
          what,
          'auth',
          'the Secret key "connection" is not a valid storage connection string',
          {
            cause: error,
          },
        );
      }
      what = `queue ${settings.queueName} in account ${client.accountName}`;
    }
    try {
      const properties = await client.getProperties({ abortSignal: context.signal });
      const count = properties.approximateMessagesCount;
      if (typeof count !== 'number' || !Number.isFinite(count)) {
        throw new SignalReadError(
          trigger,
          what,
          'bad-response',
          'the response has no approximate message count',
        );
      }
      return { value: count };
    } catch (error) {
      throw azureReadError(trigger, what, error, context.signal, secrets);
    }
  }
}
