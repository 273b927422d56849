import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DEMO_TRACE, parseAddress, startDemo } from './demo.ts';

describe('spillway demo', () => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  it('serves spillway_ metrics on /metrics while it runs, then writes the report', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'spillway-demo-'));
    dirs.push(dir);
    const out: string[] = [];
    const handle = await startDemo({
      trace: DEMO_TRACE,
      scale: 3,
      duration: 4,
      metricsAddress: '127.0.0.1:0',
      report: join(dir, 'report.html'),
      tty: false,
      stdout: (text) => out.push(text),
    });
    try {
      expect(handle.metricsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
      let body = '';
      for (let i = 0; i < 40 && !/^spillway_ticks_total\{/m.test(body); i++) {
        body = await (await fetch(handle.metricsUrl)).text();
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(body).toMatch(/^spillway_ticks_total\{namespace="sim",scaler="worker"\} \d+/m);
      expect(body).toMatch(/^spillway_desired_replicas\{/m);
      expect(body).toMatch(/^spillway_sim_queue_messages /m);
      expect((await fetch(handle.metricsUrl.replace('/metrics', '/other'))).status).toBe(404);
    } finally {
      handle.stop();
    }
    const summary = await handle.finished;
    expect(summary.seconds).toBeGreaterThan(0);
    expect(summary.costUSD).toBeGreaterThan(0);
    const text = out.join('');
    expect(text).toContain(`Prometheus metrics: ${handle.metricsUrl}`);
    expect(text).toMatch(/^t=\d\d:\d\d:\d\d demand=/m);
    const html = await readFile(join(dir, 'report.html'), 'utf8');
    expect(html).toContain('<svg');
    // The report gives the demo's own wall time, not the 0 s of a run nobody timed.
    const wall = /simulated in (\d+\.\d) s/.exec(html);
    expect(Number(wall?.[1])).toBeGreaterThan(0);
  });

  it.each([
    { text: '127.0.0.1:9464', want: { host: '127.0.0.1', port: 9464 } },
    { text: '[::1]:0', want: { host: '::1', port: 0 } },
    { text: 'localhost:80', want: { host: 'localhost', port: 80 } },
  ])('parses --metrics-address $text', ({ text, want }) => {
    expect(parseAddress(text)).toEqual(want);
  });

  it.each(['9464', '127.0.0.1:', '127.0.0.1:99999', ':80'])('rejects --metrics-address %s', (text) => {
    expect(() => parseAddress(text)).toThrow('--metrics-address must be host:port');
  });
});
