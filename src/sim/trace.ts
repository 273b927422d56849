/**
 * Arrival traces: a CSV with a time column and a count column, any step, turned into arrivals per
 * simulated second.
 *
 * - The time column is seconds (any number) or timestamps (ISO 8601); the step is the most common gap
 *   between rows, and each row's count is spread evenly over its step.
 * - `scale` multiplies every count; `speedup` replays the trace faster (a speedup of 2 plays an hour of
 *   trace in 30 simulated minutes, with twice the arrivals per second).
 * - `fromSeconds` and `durationSeconds` cut a window out of the trace (in trace time).
 */
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { parse } from 'csv-parse/sync';

export interface TraceOptions {
  /** The count column. @default the first column that is not a time/index column */
  column?: string;
  /** The time column. @default the first column named like second/time/date/index, else the first */
  timeColumn?: string;
  /** @default 1 */
  scale?: number;
  /** @default 1 */
  speedup?: number;
  /** Start of the window, seconds from the trace's first row. @default 0 */
  fromSeconds?: number;
  /** Length of the window in trace seconds. @default to the end */
  durationSeconds?: number;
}

export interface Trace {
  /** File name (or label) and column, for reports. */
  name: string;
  column: string;
  /** Step of the source rows, seconds. */
  stepSeconds: number;
  scale: number;
  speedup: number;
  /** Arrivals in each simulated second. */
  arrivals: Float64Array;
  /** Sum of arrivals. */
  total: number;
}

/** A trace file that cannot be used; the message names the file, row or column and what is allowed. */
export class TraceError extends Error {
  override name = 'TraceError';
}

const TIME_LIKE = /second|time|date|index|^t$/i;

function checkFactor(name: string, value: number): number {
  if (!(value > 0) || !Number.isFinite(value))
    throw new TraceError(`${name}: must be a number above 0, got ${value}`);
  return value;
}

/** Reads and converts a trace file. */
export async function loadTrace(file: string, options: TraceOptions = {}): Promise<Trace> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new TraceError(`reading trace ${file}: ${(error as Error).message}`, { cause: error });
  }
  return parseTrace(text, basename(file), options);
}

/** Converts CSV text (with a header row) to arrivals per simulated second. */
export function parseTrace(text: string, name: string, options: TraceOptions = {}): Trace {
  const scale = checkFactor('--scale', options.scale ?? 1);
  const speedup = checkFactor('--speedup', options.speedup ?? 1);
  let rows: Record<string, string>[];
  try {
    rows = parse<Record<string, string>>(text, { columns: true, skip_empty_lines: true, trim: true });
  } catch (error) {
    throw new TraceError(`parsing trace ${name}: ${(error as Error).message}`, { cause: error });
  }
  const first = rows[0];
  if (!first || rows.length < 2)
    throw new TraceError(`trace ${name}: needs a header row and at least two rows`);
  const columns = Object.keys(first);
  const timeColumn = options.timeColumn ?? columns.find((c) => TIME_LIKE.test(c)) ?? columns[0]!;
  if (!columns.includes(timeColumn))
    throw new TraceError(`trace ${name}: no time column "${timeColumn}"; columns are ${columns.join(', ')}`);
  const column = options.column ?? columns.find((c) => c !== timeColumn && !TIME_LIKE.test(c));
  if (column === undefined || !columns.includes(column))
    throw new TraceError(
      `trace ${name}: no count column ${column === undefined ? '(none found)' : `"${column}"`}; columns are ${columns.join(', ')} (choose one with --column)`,
    );

  const times: number[] = [];
  const counts: number[] = [];
  let origin: number | undefined;
  rows.forEach((row, i) => {
    const rawTime = row[timeColumn] ?? '';
    const rawCount = row[column] ?? '';
    let t = Number(rawTime);
    if (rawTime === '' || !Number.isFinite(t)) {
      const ms = Date.parse(rawTime);
      if (Number.isNaN(ms))
        throw new TraceError(
          `trace ${name} row ${i + 2}: ${timeColumn} "${rawTime}" is neither a number of seconds nor a timestamp`,
        );
      t = ms / 1000;
    }
    origin ??= t;
    const count = Number(rawCount);
    if (rawCount === '' || !Number.isFinite(count) || count < 0)
      throw new TraceError(`trace ${name} row ${i + 2}: ${column} "${rawCount}" is not a count ≥ 0`);
    times.push(t - origin);
    counts.push(count);
  });
  const gaps = new Map<number, number>();
  for (let i = 1; i < times.length; i++) {
    const gap = times[i]! - times[i - 1]!;
    if (!(gap > 0))
      throw new TraceError(
        `trace ${name} row ${i + 2}: time does not increase (${times[i - 1]} then ${times[i]})`,
      );
    gaps.set(gap, (gaps.get(gap) ?? 0) + 1);
  }
  const step = [...gaps.entries()].sort((a, b) => b[1] - a[1] || a[0] - b[0])[0]![0];

  const from = options.fromSeconds ?? 0;
  const lastEnd = times[times.length - 1]! + step;
  const to =
    options.durationSeconds === undefined ? lastEnd : Math.min(lastEnd, from + options.durationSeconds);
  if (!(from >= 0) || !(to > from))
    throw new TraceError(
      `trace ${name}: the window from ${from} s for ${options.durationSeconds} s is empty (the trace lasts ${lastEnd} s)`,
    );
  const seconds = Math.ceil((to - from) / speedup - 1e-9);
  const arrivals = new Float64Array(seconds);
  let total = 0;
  for (let i = 0; i < times.length; i++) {
    const start = Math.max(times[i]!, from);
    const end = Math.min(times[i]! + step, to);
    if (end <= start) continue;
    const count = counts[i]! * scale * ((end - start) / step);
    total += count;
    // Spread over simulated seconds [start/speedup, end/speedup).
    const a = (start - from) / speedup;
    const b = (end - from) / speedup;
    const rate = count / (b - a);
    for (let s = Math.floor(a); s < b && s < seconds; s++) {
      const overlap = Math.min(b, s + 1) - Math.max(a, s);
      if (overlap > 0) arrivals[s] = arrivals[s]! + rate * overlap;
    }
  }
  return { name, column, stepSeconds: step, scale, speedup, arrivals, total };
}
