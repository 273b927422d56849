/**
 * A recorded-response Service Bus management endpoint over HTTPS on 127.0.0.1.
 *
 * No Service Bus emulator runs here. The administration client (@azure/service-bus
 * ServiceBusAdministrationClient) speaks Atom XML over HTTPS to `https://<namespace-host>/<entity>`;
 * pointed at this server (connection string `Endpoint=sb://127.0.0.1:<port>/`, plus an https.Agent that
 * trusts the self-signed certificate made here with openssl), it gets back the responses the service
 * gives for the runtime-properties calls, in the service's format (api-version 2021-05):
 *
 * - `GET /<queue>` → an Atom `<entry>` with a `QueueDescription` whose `CountDetails` hold the counts;
 * - `GET /<topic>/Subscriptions/<subscription>` → an `<entry>` with a `SubscriptionDescription`;
 * - an unknown entity → HTTP 200 with an empty `<feed>` (the service answers a GET of a missing entity so;
 *   the SDK turns it into MessageEntityNotFoundError);
 * - a bad SAS signature → HTTP 401 with the service's `<Error><Code>401</Code>...` body.
 *
 * The SAS token of every request is verified (HMAC-SHA256 of the URL-encoded resource URI and expiry,
 * with the namespace key), so a wrong key really fails. Entities named `slow` never answer and entities
 * named `garbage` answer 200 with an HTML page, for failure tests.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { Agent } from 'node:https';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { findExecutable, MissingServerError, tempDir } from './process.ts';

export interface MessageCounts {
  active: number;
  deadLetter?: number;
  scheduled?: number;
}

export interface ServiceBusServer {
  port: number;
  keyName: string;
  key: string;
  /** `Endpoint=sb://127.0.0.1:<port>/;SharedAccessKeyName=...;SharedAccessKey=...` (optionally another key). */
  connectionString(key?: string): string;
  /** An https.Agent trusting this server's certificate (for the client's pipeline options). */
  agent: Agent;
  setQueue(name: string, counts: MessageCounts): void;
  setSubscription(topic: string, subscription: string, counts: MessageCounts): void;
  /** Requests received (method and path), for assertions. */
  requests: string[];
  stop(): Promise<void>;
}

const STAMP = '2026-11-02T09:15:27.413Z';

const countDetails = (c: MessageCounts) =>
  `<CountDetails xmlns:d2p1="http://schemas.microsoft.com/netservices/2011/06/servicebus">` +
  `<d2p1:ActiveMessageCount>${c.active}</d2p1:ActiveMessageCount>` +
  `<d2p1:DeadLetterMessageCount>${c.deadLetter ?? 0}</d2p1:DeadLetterMessageCount>` +
  `<d2p1:ScheduledMessageCount>${c.scheduled ?? 0}</d2p1:ScheduledMessageCount>` +
  `<d2p1:TransferMessageCount>0</d2p1:TransferMessageCount>` +
  `<d2p1:TransferDeadLetterMessageCount>0</d2p1:TransferDeadLetterMessageCount></CountDetails>`;

const total = (c: MessageCounts) => c.active + (c.deadLetter ?? 0) + (c.scheduled ?? 0);

const entry = (id: string, title: string, content: string) =>
  `<entry xml:base="${id}" xmlns="http://www.w3.org/2005/Atom"><id>${id}</id><title type="text">${title}</title>` +
  `<published>${STAMP}</published><updated>${STAMP}</updated><author><name>spillway-test</name></author>` +
  `<link rel="self" href="${id}"/><content type="application/xml">${content}</content></entry>`;

const queueXml = (id: string, name: string, c: MessageCounts) =>
  entry(
    id,
    name,
    `<QueueDescription xmlns="http://schemas.microsoft.com/netservices/2010/10/servicebus/connect" xmlns:i="http://www.w3.org/2001/XMLSchema-instance">` +
      `<LockDuration>PT1M</LockDuration><MaxSizeInMegabytes>1024</MaxSizeInMegabytes><RequiresDuplicateDetection>false</RequiresDuplicateDetection>` +
      `<RequiresSession>false</RequiresSession><DefaultMessageTimeToLive>P14D</DefaultMessageTimeToLive>` +
      `<DeadLetteringOnMessageExpiration>false</DeadLetteringOnMessageExpiration><DuplicateDetectionHistoryTimeWindow>PT10M</DuplicateDetectionHistoryTimeWindow>` +
      `<MaxDeliveryCount>10</MaxDeliveryCount><EnableBatchedOperations>true</EnableBatchedOperations><SizeInBytes>${total(c) * 312}</SizeInBytes>` +
      `<MessageCount>${total(c)}</MessageCount><IsAnonymousAccessible>false</IsAnonymousAccessible><AuthorizationRules></AuthorizationRules>` +
      `<Status>Active</Status><CreatedAt>${STAMP}</CreatedAt><UpdatedAt>${STAMP}</UpdatedAt><AccessedAt>${STAMP}</AccessedAt>` +
      `<SupportOrdering>true</SupportOrdering>${countDetails(c)}<AutoDeleteOnIdle>P10675199DT2H48M5.4775807S</AutoDeleteOnIdle>` +
      `<EnablePartitioning>false</EnablePartitioning><EntityAvailabilityStatus>Available</EntityAvailabilityStatus>` +
      `<EnableExpress>false</EnableExpress></QueueDescription>`,
  );

const subscriptionXml = (id: string, name: string, c: MessageCounts) =>
  entry(
    id,
    name,
    `<SubscriptionDescription xmlns="http://schemas.microsoft.com/netservices/2010/10/servicebus/connect" xmlns:i="http://www.w3.org/2001/XMLSchema-instance">` +
      `<LockDuration>PT1M</LockDuration><RequiresSession>false</RequiresSession><DefaultMessageTimeToLive>P10675199DT2H48M5.4775807S</DefaultMessageTimeToLive>` +
      `<DeadLetteringOnMessageExpiration>false</DeadLetteringOnMessageExpiration><DeadLetteringOnFilterEvaluationExceptions>true</DeadLetteringOnFilterEvaluationExceptions>` +
      `<MessageCount>${total(c)}</MessageCount><MaxDeliveryCount>10</MaxDeliveryCount><EnableBatchedOperations>true</EnableBatchedOperations>` +
      `<Status>Active</Status><CreatedAt>${STAMP}</CreatedAt><UpdatedAt>${STAMP}</UpdatedAt><AccessedAt>${STAMP}</AccessedAt>` +
      `${countDetails(c)}<AutoDeleteOnIdle>P10675199DT2H48M5.4775807S</AutoDeleteOnIdle>` +
      `<EntityAvailabilityStatus>Available</EntityAvailabilityStatus></SubscriptionDescription>`,
  );

const emptyFeed = (id: string) =>
  `<feed xmlns="http://www.w3.org/2005/Atom"><title type="text">Publicly Listed Services</title>` +
  `<subtitle type="text">This is the list of publicly-listed services currently available.</subtitle>` +
  `<id>uuid:${randomBytes(16).toString('hex')};id=1</id><updated>${STAMP}</updated><generator>Service Bus 1.1</generator>` +
  `<link rel="self" href="${id}"/></feed>`;

const unauthorized = (detail: string) =>
  `<Error><Code>401</Code><Detail>${detail} TrackingId:${randomBytes(8).toString('hex')}, SystemTracker:NoSystemTracker, Timestamp:${STAMP}</Detail></Error>`;

/** Checks `SharedAccessSignature sr=..&sig=..&se=..&skn=..` against the key. */
function verifySas(header: string | undefined, keyName: string, key: string): string | undefined {
  if (!header?.startsWith('SharedAccessSignature '))
    return 'MissingToken: The authorization header was not found.';
  const fields = new URLSearchParams(header.slice('SharedAccessSignature '.length));
  const sr = fields.get('sr');
  const sig = fields.get('sig');
  const se = fields.get('se');
  if (!sr || !sig || !se) return 'InvalidSignature: The token is malformed.';
  if (fields.get('skn') !== keyName) return `InvalidSignature: The token has an invalid signature.`;
  if (Number(se) * 1000 < Date.now()) return 'ExpiredToken: The token is expired.';
  // The SDK signs `encodeURIComponent(url.toLowerCase()).toLowerCase() + "\n" + expiry` with the key as
  // UTF-8 bytes, and sends that encoded URI as sr (URLSearchParams decoded it once).
  const expected = createHmac('sha256', key)
    .update(`${encodeURIComponent(sr).toLowerCase()}\n${se}`)
    .digest();
  const given = Buffer.from(sig, 'base64');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    return 'InvalidSignature: The token has an invalid signature.';
  }
  return undefined;
}

export async function startServiceBusRecording(): Promise<ServiceBusServer> {
  const openssl = findExecutable('openssl');
  if (!openssl) throw new MissingServerError('openssl', 'apt-get install -y openssl');
  const dir = tempDir('servicebus');
  const keyPath = join(dir.path, 'key.pem');
  const certPath = join(dir.path, 'cert.pem');
  execFileSync(
    openssl,
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
      '-keyout',
      keyPath,
      '-out',
      certPath,
    ],
    { stdio: 'ignore' },
  );
  const cert = readFileSync(certPath);
  const keyPem = readFileSync(keyPath);
  const keyName = 'RootManageSharedAccessKey';
  const key = randomBytes(32).toString('base64');
  const queues = new Map<string, MessageCounts>();
  const subscriptions = new Map<string, MessageCounts>();
  const requests: string[] = [];
  const server = createServer({ key: keyPem, cert }, (req, res) => {
    const url = new URL(req.url ?? '/', `https://${req.headers.host ?? '127.0.0.1'}`);
    requests.push(`${req.method} ${url.pathname}`);
    const id = `https://${req.headers.host}${url.pathname}?api-version=${url.searchParams.get('api-version') ?? ''}`;
    const xml = (status: number, body: string) => {
      res.writeHead(status, {
        'content-type': 'application/atom+xml;type=entry;charset=utf-8',
        server: 'Microsoft-HTTPAPI/2.0',
      });
      res.end(`<?xml version="1.0" encoding="utf-8"?>${body}`);
    };
    const denied = verifySas(req.headers.authorization, keyName, key);
    if (denied) return xml(401, unauthorized(denied));
    const parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
    if (parts.includes('slow')) return; // never answers
    if (parts.includes('garbage')) {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<html><body>Service Unavailable</body></html>');
      return;
    }
    if (req.method !== 'GET') return xml(405, unauthorized('MethodNotAllowed'));
    if (parts.length === 1 && parts[0]) {
      const counts = queues.get(parts[0]);
      return xml(200, counts ? queueXml(id, parts[0], counts) : emptyFeed(id));
    }
    if (parts.length === 3 && parts[1]?.toLowerCase() === 'subscriptions' && parts[0] && parts[2]) {
      const counts = subscriptions.get(`${parts[0]}/${parts[2]}`);
      return xml(200, counts ? subscriptionXml(id, parts[2], counts) : emptyFeed(id));
    }
    return xml(200, emptyFeed(id));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const agent = new Agent({ ca: cert, keepAlive: false });
  return {
    port,
    keyName,
    key,
    agent,
    requests,
    connectionString: (k = key) =>
      `Endpoint=sb://127.0.0.1:${port}/;SharedAccessKeyName=${keyName};SharedAccessKey=${k}`,
    setQueue: (name, counts) => queues.set(name, counts),
    setSubscription: (topic, subscription, counts) => subscriptions.set(`${topic}/${subscription}`, counts),
    stop: () =>
      new Promise<void>((resolve) => {
        agent.destroy();
        server.closeAllConnections();
        server.close(() => {
          dir.remove();
          resolve();
        });
      }),
  };
}
