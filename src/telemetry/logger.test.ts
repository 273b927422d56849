import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { REDACTED, createLogger, scrubSecrets } from './logger.ts';

function capture() {
  const lines: Record<string, unknown>[] = [];
  const raw: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      raw.push(chunk.toString());
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  return { logger: createLogger({ level: 'debug', destination }), lines, raw };
}

describe('scrubSecrets', () => {
  it.each([
    [
      'DefaultEndpointsProtocol=https;AccountName=shopdata;AccountKey=c2VjcmV0a2V5PT0=;EndpointSuffix=core.windows.net',
      `DefaultEndpointsProtocol=https;AccountName=shopdata;AccountKey=${REDACTED};EndpointSuffix=core.windows.net`,
    ],
    [
      'Endpoint=sb://shop.servicebus.windows.net/;SharedAccessKeyName=listen;SharedAccessKey=abc+/123=',
      `Endpoint=sb://shop.servicebus.windows.net/;SharedAccessKeyName=listen;SharedAccessKey=${REDACTED}`,
    ],
    [
      'connecting to redis://default:hunter2@redis:6379/0 failed',
      `connecting to redis://default:${REDACTED}@redis:6379/0 failed`,
    ],
    ['amqp://guest:guest@127.0.0.1:5672', `amqp://guest:${REDACTED}@127.0.0.1:5672`],
    [
      'https://x.queue.core.windows.net/q?sv=2023&sig=AbC%2Fd',
      `https://x.queue.core.windows.net/q?sv=2023&sig=${REDACTED}`,
    ],
    ['Authorization: Bearer eyJhbGciOi.eyJzdWIi.sig-_', `Authorization: Bearer ${REDACTED}`],
    ['password=p@ss;user=me', `password=${REDACTED};user=me`],
    ['queue orders has 42 messages', 'queue orders has 42 messages'],
    ['http://prometheus.monitoring:9090/api/v1/query', 'http://prometheus.monitoring:9090/api/v1/query'],
  ])('%s', (input, output) => {
    expect(scrubSecrets(input)).toBe(output);
  });
});

describe('createLogger', () => {
  it('writes one JSON object per line with a word level and an ISO time', () => {
    const { logger, lines } = capture();
    logger.info({ scaler: 'orders' }, 'decided 6 replicas');
    expect(lines[0]).toMatchObject({ level: 'info', scaler: 'orders', msg: 'decided 6 replicas' });
    expect(lines[0]!.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  });

  it.each([
    { fields: { password: 'hunter2' }, path: ['password'] },
    { fields: { auth: { connectionString: 'AccountKey=abc' } }, path: ['auth', 'connectionString'] },
    {
      fields: { request: { headers: { authorization: 'Bearer x' } } },
      path: ['request', 'headers', 'authorization'],
    },
    { fields: { env: { secureValue: 's3cr3t' } }, path: ['env', 'secureValue'] },
  ])('redacts the field $path', ({ fields, path }) => {
    const { logger, lines, raw } = capture();
    logger.info(fields, 'x');
    let value: unknown = lines[0];
    for (const key of path) value = (value as Record<string, unknown>)[key];
    expect(value).toBe(REDACTED);
    expect(raw[0]).not.toMatch(/hunter2|abc|s3cr3t|Bearer x/);
  });

  it('scrubs secrets from messages and errors, keeping the line valid JSON', () => {
    const { logger, lines, raw } = capture();
    const error = new Error('connect redis://app:topsecret@10.0.0.5:6379 refused');
    logger.warn({ err: error }, 'read failed for AccountKey=abc123==;EndpointSuffix=x');
    expect(raw.join('')).not.toMatch(/topsecret|abc123/);
    expect(lines[0]!.msg).toBe(`read failed for AccountKey=${REDACTED};EndpointSuffix=x`);
    expect((lines[0]!.err as { message: string }).message).toBe(
      `connect redis://app:${REDACTED}@10.0.0.5:6379 refused`,
    );
  });

  it('writes a decision as one line with its reasons, secrets scrubbed from them', () => {
    const { logger, lines, raw } = capture();
    const reasons = [
      'desired 9: 6 on VM, 3 on ACI (spill)',
      'orders-queue: 85 / 10 per replica → 9',
      'redis-0: read failed for redis://worker:s3cret-pw@redis.shop:6379 (timeout)',
    ];
    logger.info(
      {
        namespace: 'shop',
        scaler: 'orders-worker',
        desired: 9,
        actions: ['CreateBurst', 'ScaleDeployment'],
        reasons,
        trigger: { metadata: { connectionString: 'Endpoint=sb://x/;SharedAccessKey=abc' } },
      },
      'decided 9 replicas (6 VM, 3 ACI, spill)',
    );
    expect(raw).toHaveLength(1);
    expect(raw[0]).not.toMatch(/s3cret-pw|SharedAccessKey=abc/);
    expect(lines[0]).toMatchObject({
      scaler: 'orders-worker',
      desired: 9,
      actions: ['CreateBurst', 'ScaleDeployment'],
      reasons: [
        reasons[0],
        reasons[1],
        `redis-0: read failed for redis://worker:${REDACTED}@redis.shop:6379 (timeout)`,
      ],
      trigger: { metadata: { connectionString: REDACTED } },
    });
  });

  it('scrubs secrets from an error’s cause', () => {
    const { logger, raw } = capture();
    const cause = new Error('401 for https://acct.queue.core.windows.net/q?sv=2023&sig=SECRETSIG');
    logger.error({ err: new Error('reading queue orders failed', { cause }) }, 'tick failed');
    expect(raw[0]).toContain(
      `reading queue orders failed: 401 for https://acct.queue.core.windows.net/q?sv=2023&sig=${REDACTED}`,
    );
    expect(raw[0]).toContain('caused by: Error: 401');
    expect(raw[0]).not.toContain('SECRETSIG');
  });

  it('honours the level', () => {
    const lines: string[] = [];
    const destination = new Writable({
      write(chunk: Buffer, _e, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    const logger = createLogger({ level: 'warn', destination });
    logger.info('hidden');
    logger.warn('shown');
    expect(lines).toHaveLength(1);
  });
});
