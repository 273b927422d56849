/**
 * `rabbitmq`: depth of a RabbitMQ queue, like KEDA's `rabbitmq` scaler.
 *
 * Metadata (KEDA names):
 * - `queueName` (required), `vhostName` (optional; else the path of the host URL, else `/`).
 * - `host`: `amqp://host:5672/vhost` or `http://host:15672/vhost`, without credentials; or put the whole
 *   URL (credentials included) in the Secret key `host`. Secret keys `username` and `password` override
 *   the URL's.
 * - `protocol`: `auto` (default: from the URL scheme), `amqp` or `http`.
 * - `mode`: `QueueLength` (default) or `MessageRate` (publish rate per second; http only).
 *
 * AMQP reads `checkQueue().messageCount` (messages ready for delivery). HTTP reads the management API's
 * `messages` (ready + unacknowledged), which lags by the broker's `collect_statistics_interval` (5 s default).
 */
import { connect } from 'amqplib';
import type { ChannelModel } from 'amqplib';
import type { TriggerPolicy } from '../core/types.ts';
import type { SignalContext, SignalSource, SignalValue } from '../ports.ts';
import { resolveCredentials } from './auth.ts';
import { SignalReadError, safeMessage, toReadError, untilAborted } from './errors.ts';
import { getJson, origin } from './http.ts';
import { Metadata, checkAuthKind } from './metadata.ts';

type Protocol = 'amqp' | 'http';

interface RabbitSettings {
  host?: string;
  protocol: 'auto' | Protocol;
  mode: 'QueueLength' | 'MessageRate';
  queueName: string;
  vhostName?: string;
}

function parseHost(md: Metadata, field: string, value: string, fromSecret: boolean): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw md.error(field, 'must be a URL like amqp://rabbitmq:5672/vhost or http://rabbitmq:15672/vhost');
  }
  if (!['amqp:', 'amqps:', 'http:', 'https:'].includes(url.protocol)) {
    throw md.error(field, `must use amqp, amqps, http or https, got ${url.protocol}//`);
  }
  if (!fromSecret && (url.username || url.password)) {
    throw md.error(field, 'must not contain credentials: put them in the Secret of authenticationRef');
  }
  return url;
}

function settingsOf(trigger: TriggerPolicy): RabbitSettings {
  checkAuthKind(trigger, ['Secret']);
  const md = new Metadata(trigger);
  const host = md.optional('host');
  if (host) parseHost(md, 'host', host, false);
  else if (!trigger.authenticationRef) {
    throw md.error(
      'host',
      'required (amqp://host:5672/vhost or http://host:15672/vhost), or a Secret key "host"',
    );
  }
  const protocol = md.oneOf('protocol', ['auto', 'amqp', 'http'] as const, 'auto');
  const mode = md.oneOf('mode', ['QueueLength', 'MessageRate'] as const, 'QueueLength');
  const scheme = host ? new URL(host).protocol : undefined;
  const resolved = protocol === 'auto' && scheme ? (scheme.startsWith('amqp') ? 'amqp' : 'http') : protocol;
  if (mode === 'MessageRate' && resolved === 'amqp') {
    throw md.error('mode', 'MessageRate needs the management API: use an http:// host or protocol: http');
  }
  return { host, protocol, mode, queueName: md.required('queueName'), vhostName: md.optional('vhostName') };
}

const AMQP_CODES: Record<number, 'auth' | 'not-found'> = { 403: 'auth', 404: 'not-found', 530: 'auth' };

export class RabbitMqSource implements SignalSource {
  readonly type = 'rabbitmq' as const;

  validate(trigger: TriggerPolicy): void {
    settingsOf(trigger);
  }

  async read(trigger: TriggerPolicy, context: SignalContext): Promise<SignalValue> {
    const settings = settingsOf(trigger);
    const md = new Metadata(trigger);
    const credentials = await resolveCredentials(trigger, context);
    const secretHost = credentials.values.host;
    const hostText = settings.host ?? secretHost;
    if (!hostText) {
      throw new SignalReadError(
        trigger,
        `queue ${settings.queueName}`,
        'auth',
        'the Secret has no key "host"',
      );
    }
    const url = parseHost(md, settings.host ? 'host' : 'host (from the Secret)', hostText, !settings.host);
    if (credentials.values.username) url.username = encodeURIComponent(credentials.values.username);
    if (credentials.values.password) url.password = encodeURIComponent(credentials.values.password);
    const pathVhost = decodeURIComponent(url.pathname.replace(/^\//, ''));
    const vhost = settings.vhostName ?? (pathVhost || '/');
    const protocol: Protocol =
      settings.protocol === 'auto' ? (url.protocol.startsWith('amqp') ? 'amqp' : 'http') : settings.protocol;
    if (settings.mode === 'MessageRate' && protocol === 'amqp') {
      throw md.error('mode', 'MessageRate needs the management API: use an http:// host or protocol: http');
    }
    const what = `queue ${settings.queueName} in vhost ${vhost} on ${url.host}`;
    const secrets = [...credentials.secrets, url.password, decodeURIComponent(url.password)];
    if (protocol === 'http') return this.#readHttp(trigger, context, settings, url, vhost, what, secrets);
    return this.#readAmqp(trigger, context, settings, url, vhost, what, secrets);
  }

  async #readAmqp(
    trigger: TriggerPolicy,
    context: SignalContext,
    settings: RabbitSettings,
    url: URL,
    vhost: string,
    what: string,
    secrets: string[],
  ): Promise<SignalValue> {
    url.pathname = `/${encodeURIComponent(vhost)}`;
    let connection: ChannelModel | undefined;
    let abandoned = false;
    const close = () => {
      const c = connection;
      connection = undefined;
      c?.close().catch(() => undefined);
    };
    const work = (async () => {
      const opened = await connect(url.toString(), { timeout: 30_000 });
      opened.on('error', () => undefined);
      connection = opened;
      if (abandoned) {
        close();
        throw new Error('abandoned after timeout');
      }
      const channel = await opened.createChannel();
      channel.on('error', () => undefined);
      const ok = await channel.checkQueue(settings.queueName);
      return ok.messageCount;
    })();
    try {
      const value = await untilAborted(context.signal, work, () => {
        abandoned = true;
        close();
      });
      return { value };
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      const message = safeMessage(error, secrets);
      let kind = typeof code === 'number' ? AMQP_CODES[code] : undefined;
      if (!kind && /ACCESS[-_]REFUSED|NOT[-_]ALLOWED/.test(message)) kind = 'auth';
      if (/no queue|vhost .*not found|NOT[-_]FOUND/i.test(message)) kind = 'not-found';
      throw toReadError(trigger, what, error, {
        signal: context.signal,
        secrets,
        fallbackKind: kind ?? 'bad-response',
      });
    } finally {
      close();
    }
  }

  async #readHttp(
    trigger: TriggerPolicy,
    context: SignalContext,
    settings: RabbitSettings,
    url: URL,
    vhost: string,
    what: string,
    secrets: string[],
  ): Promise<SignalValue> {
    const headers: Record<string, string> = {};
    if (url.username || url.password) {
      const user = decodeURIComponent(url.username);
      const pass = decodeURIComponent(url.password);
      headers.authorization = `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;
    }
    const api = new URL(
      `/api/queues/${encodeURIComponent(vhost)}/${encodeURIComponent(settings.queueName)}`,
      origin(url),
    );
    api.searchParams.set('msg_rates_age', '60');
    api.searchParams.set('msg_rates_incr', '5');
    const body = (await getJson(trigger, what, api, { headers, signal: context.signal, secrets })) as {
      messages?: unknown;
      message_stats?: { publish_details?: { rate?: unknown } };
    } | null;
    if (settings.mode === 'MessageRate') {
      const rate = body?.message_stats?.publish_details?.rate ?? 0;
      if (typeof rate !== 'number' || !Number.isFinite(rate)) {
        throw new SignalReadError(
          trigger,
          what,
          'bad-response',
          'message_stats.publish_details.rate is not a number',
        );
      }
      return { value: rate };
    }
    const messages = body?.messages;
    if (typeof messages !== 'number' || !Number.isFinite(messages)) {
      throw new SignalReadError(
        trigger,
        what,
        'bad-response',
        'the management API returned no message count (statistics not collected yet?)',
      );
    }
    return { value: messages };
  }
}
