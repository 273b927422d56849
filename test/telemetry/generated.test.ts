/**
 * The generated monitoring files are committed exactly as src/telemetry/generate.ts renders them (like
 * the CRD), and each is a valid object of its kind: the dashboards ConfigMaps carry the sidecar's label
 * and the same JSON as dashboards/, the PrometheusRule holds the alert rules, the summary in
 * docs/generated/dashboards.md lists every panel title and query.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PrometheusRule } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1';
import { ConfigMap } from 'kubernetes-models/v1';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { ALERT_RULES, ruleGroups } from '../../src/telemetry/alerts.ts';
import { buildDashboards, panelSummaries } from '../../src/telemetry/dashboards.ts';
import { staleArtifacts } from '../../src/telemetry/generate.ts';

const root = join(import.meta.dirname, '..', '..');
const read = (path: string): string => readFileSync(join(root, path), 'utf8');
const yamlObjects = (path: string): Record<string, unknown>[] =>
  parseAllDocuments(read(path)).map((doc) => doc.toJS() as Record<string, unknown>);

describe('generated monitoring files', () => {
  it('are committed as the generator renders them (run node src/telemetry/generate.ts --write)', async () => {
    const stale = await staleArtifacts(root);
    expect(stale.map((a) => a.path)).toEqual([]);
  });

  it('ship each dashboard in a ConfigMap the Grafana sidecar loads, with the JSON of dashboards/', () => {
    const maps = yamlObjects('deploy/monitoring/dashboards.yaml');
    expect(maps).toHaveLength(buildDashboards().length);
    for (const [i, { file }] of buildDashboards().entries()) {
      const map = maps[i]!;
      new ConfigMap(map).validate();
      expect(map).toMatchObject({
        kind: 'ConfigMap',
        metadata: { namespace: 'spillway-system', labels: { grafana_dashboard: '1' } },
      });
      const data = map.data as Record<string, string>;
      expect(Object.keys(data)).toEqual([file]);
      expect(JSON.parse(data[file]!)).toEqual(JSON.parse(read(`dashboards/${file}`)));
      // Small enough for `kubectl apply` (its last-applied annotation holds at most 256 KiB).
      expect(Buffer.byteLength(data[file]!)).toBeLessThan(200 * 1024);
    }
  });

  it('ship the alerts in a valid PrometheusRule', () => {
    const [rule, ...rest] = yamlObjects('deploy/monitoring/prometheus-rule.yaml');
    expect(rest).toEqual([]);
    new PrometheusRule(rule as ConstructorParameters<typeof PrometheusRule>[0]).validate();
    expect(rule!.spec).toEqual(ruleGroups());
    const names = (rule!.spec as { groups: { rules: { alert: string }[] }[] }).groups.flatMap((g) =>
      g.rules.map((r) => r.alert),
    );
    expect(names).toEqual(ALERT_RULES.map((r) => r.alert));
  });

  it('list every panel title and query in docs/generated/dashboards.md', () => {
    const doc = read('docs/generated/dashboards.md');
    for (const { dashboard } of buildDashboards()) {
      expect(doc).toContain(`## ${dashboard.title}`);
      for (const panel of panelSummaries(dashboard)) {
        expect(doc).toContain(`#### ${panel.title} (${panel.type})`);
        for (const query of panel.queries) expect(doc).toContain(query.expr);
      }
    }
  });
});
