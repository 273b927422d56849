/**
 * A self-contained HTML report of a simulation: the table, and charts drawn as inline SVG (no script, no
 * CDN, opens from disk): demand, replicas on VM vs ACI per policy, queue wait, cumulative cost.
 */
import type { SeriesPoint } from './run.ts';
import type { SimulationResult } from './simulate.ts';
import { renderTable } from './table.ts';

const COLORS: Record<string, string> = {
  spillway: '#1f77b4',
  'keda-virtual-node': '#d62728',
  'vm-only': '#2ca02c',
  'aci-only': '#9467bd',
  bound: '#555555',
  vm: '#2ca02c',
  aci: '#ff7f0e',
  demand: '#1f77b4',
};

function escape(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

interface Line {
  name: string;
  color: string;
  points: [number, number][];
  /** Fill the area under the line (stacked charts pass cumulative values). */
  fill?: boolean;
  dashed?: boolean;
}

const W = 880;
const H = 240;
const PAD = { left: 64, right: 16, top: 28, bottom: 36 };

function niceMax(value: number): number {
  if (!(value > 0)) return 1;
  const exp = 10 ** Math.floor(Math.log10(value));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * exp >= value) return m * exp;
  return 10 * exp;
}

function formatX(seconds: number): string {
  if (seconds >= 7200) return `${(seconds / 3600).toFixed(0)} h`;
  if (seconds >= 120) return `${(seconds / 60).toFixed(0)} min`;
  return `${seconds.toFixed(0)} s`;
}

/** An SVG line (or area) chart. */
export function svgChart(title: string, yLabel: string, lines: Line[]): string {
  const xs = lines.flatMap((l) => l.points.map((p) => p[0]));
  const ys = lines.flatMap((l) => l.points.map((p) => p[1]));
  const xMax = Math.max(1, ...xs);
  const yMax = niceMax(Math.max(0, ...ys));
  const x = (v: number): number => PAD.left + (v / xMax) * (W - PAD.left - PAD.right);
  const y = (v: number): number => H - PAD.bottom - (v / yMax) * (H - PAD.top - PAD.bottom);
  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="100%" role="img" aria-label="${escape(title)}">`,
  );
  parts.push(`<text x="${PAD.left}" y="18" font-size="14" font-weight="600">${escape(title)}</text>`);
  for (let i = 0; i <= 4; i++) {
    const v = (yMax * i) / 4;
    parts.push(
      `<line x1="${PAD.left}" x2="${W - PAD.right}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}" stroke="#e5e5e5"/>`,
      `<text x="${PAD.left - 6}" y="${(y(v) + 4).toFixed(1)}" font-size="11" text-anchor="end">${Number(v.toPrecision(4))}</text>`,
    );
  }
  for (let i = 0; i <= 6; i++) {
    const v = (xMax * i) / 6;
    parts.push(
      `<text x="${x(v).toFixed(1)}" y="${H - PAD.bottom + 16}" font-size="11" text-anchor="middle">${formatX(v)}</text>`,
    );
  }
  parts.push(
    `<text x="14" y="${(H / 2).toFixed(0)}" font-size="11" transform="rotate(-90 14 ${(H / 2).toFixed(0)})" text-anchor="middle">${escape(yLabel)}</text>`,
  );
  for (const line of lines) {
    if (line.points.length === 0) continue;
    const d = line.points
      .map((p, i) => `${i === 0 ? 'M' : 'L'}${x(p[0]).toFixed(1)},${y(p[1]).toFixed(1)}`)
      .join('');
    if (line.fill) {
      const first = line.points[0]!;
      const last = line.points[line.points.length - 1]!;
      parts.push(
        `<path d="${d}L${x(last[0]).toFixed(1)},${y(0).toFixed(1)}L${x(first[0]).toFixed(1)},${y(0).toFixed(1)}Z" fill="${line.color}" fill-opacity="0.35" stroke="none"/>`,
      );
    }
    parts.push(
      `<path d="${d}" fill="none" stroke="${line.color}" stroke-width="1.4"${line.dashed ? ' stroke-dasharray="6 4"' : ''}/>`,
    );
  }
  let lx = PAD.left + 8;
  for (const line of lines) {
    parts.push(
      `<rect x="${lx}" y="${PAD.top - 2}" width="10" height="10" fill="${line.color}"/>`,
      `<text x="${lx + 14}" y="${PAD.top + 7}" font-size="11">${escape(line.name)}</text>`,
    );
    lx += 24 + line.name.length * 6.5;
  }
  parts.push('</svg>');
  return parts.join('');
}

function pts(series: SeriesPoint[], pick: (p: SeriesPoint) => number): [number, number][] {
  return series.map((p) => [p.t, pick(p)]);
}

/** The report as one HTML document. */
export function renderReport(result: SimulationResult): string {
  const policies = result.policies;
  const first = policies[0];
  const charts: string[] = [];
  if (first)
    charts.push(
      svgChart(
        `Demand: ${result.trace.name} (${result.trace.column}) × ${result.trace.scale}`,
        'messages / s',
        [{ name: 'arrivals per second', color: COLORS.demand!, points: pts(first.series, (p) => p.demand) }],
      ),
    );
  for (const p of policies) {
    charts.push(
      svgChart(`Replicas serving — ${p.policy}`, 'replicas', [
        { name: 'VM + ACI', color: COLORS.aci!, points: pts(p.series, (s) => s.vm + s.aci), fill: true },
        { name: 'VM', color: COLORS.vm!, points: pts(p.series, (s) => s.vm), fill: true },
      ]),
    );
  }
  charts.push(
    svgChart(`Longest queue wait per sample (SLO ${result.scenario.sloSeconds} s)`, 'seconds', [
      ...policies.map((p) => ({
        name: p.policy,
        color: COLORS[p.policy] ?? '#000',
        points: pts(p.series, (s) => s.wait),
      })),
      {
        name: 'SLO',
        color: COLORS.bound!,
        dashed: true,
        points: [
          [0, result.scenario.sloSeconds],
          [result.trace.seconds, result.scenario.sloSeconds],
        ] as [number, number][],
      },
    ]),
  );
  charts.push(
    svgChart('Cumulative cost', 'USD', [
      ...policies.map((p) => ({
        name: p.policy,
        color: COLORS[p.policy] ?? '#000',
        points: pts(p.series, (s) => s.cost),
      })),
      {
        name: 'clairvoyant bound (total)',
        color: COLORS.bound!,
        dashed: true,
        points: [
          [0, result.bound.costUSD],
          [result.trace.seconds, result.bound.costUSD],
        ] as [number, number][],
      },
    ]),
  );
  const descriptions = policies
    .map((p) => `<li><b>${escape(p.policy)}</b>: ${escape(p.description)}</li>`)
    .join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Spillway simulation — ${escape(result.trace.name)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:960px;margin:2em auto;padding:0 1em;color:#222}
pre{background:#f6f6f6;padding:1em;overflow-x:auto;font-size:12px}figure{margin:1.5em 0}</style></head>
<body><h1>Spillway simulation</h1>
<p>Trace <code>${escape(result.trace.name)}</code>, column <code>${escape(result.trace.column)}</code>, scale ×${result.trace.scale}${result.trace.speedup !== 1 ? `, ${result.trace.speedup}× faster` : ''}. Every policy runs the same trace, cluster, prices and seed; costs and waits count from the trace's first second until its queue is empty.</p>
<pre>${escape(renderTable(result))}</pre>
<ul>${descriptions}</ul>
<h2>Clairvoyant bound</h2><pre>${escape(result.bound.lines.join('\n'))}</pre>
${charts.map((c) => `<figure>${c}</figure>`).join('\n')}
</body></html>
`;
}
