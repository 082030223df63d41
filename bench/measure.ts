/**
 * The shape every load scenario shares: start each stack once, warm it up, then run several
 * rounds with the stacks back to back in rotating order, and keep every sample.
 */
import type { BenchOptions } from "./options.js";
import type { Row, ScenarioResult } from "./report/types.js";
import type { RunningStack, Stack, StackOptions } from "./stacks/types.js";
import { max, median, min, rotate } from "./stats.js";
import { missing } from "./tools.js";
import { foreignLoad } from "./noise.js";
import { errorCount, wrk, type WrkOptions, type WrkResult } from "./wrk.js";

export interface Candidate {
  stack: Stack;
  options?: StackOptions;
  /** Row id and label; default the stack's. */
  id?: string;
  label?: string;
}

export interface Started {
  id: string;
  label: string;
  running: RunningStack;
}

export function emptyResult(
  id: string,
  title: string,
  unit: string,
  higherIsBetter: boolean,
  method: string,
): ScenarioResult {
  return {
    id,
    title,
    unit,
    higherIsBetter,
    method,
    rows: [],
    ratios: [],
    limits: [],
    skipped: [],
    notes: [],
  };
}

function selected(c: Candidate, opts: BenchOptions): boolean {
  const id = c.id ?? c.stack.id;
  return opts.only.length === 0 || opts.only.some((s) => id.includes(s));
}

/** Start one candidate, or record why it is skipped. */
export async function startOne(
  c: Candidate,
  opts: BenchOptions,
  result: ScenarioResult,
): Promise<Started | undefined> {
  const id = c.id ?? c.stack.id;
  const absent = missing(c.stack.tools);
  const reason = absent.length > 0 ? `missing ${absent.join(", ")}` : c.stack.unavailable?.();
  if (reason !== undefined) {
    result.skipped.push({ id, reason });
    opts.log(`  skip ${id}: ${reason}`);
    return undefined;
  }
  try {
    opts.log(`  start ${id}`);
    const running = await c.stack.start(c.options);
    return { id, label: c.label ?? c.stack.label, running };
  } catch (err) {
    const message = String(err instanceof Error ? err.message : err)
      .split("\n")
      .slice(0, 6)
      .join(" | ");
    result.skipped.push({ id, reason: `failed to start: ${message}` });
    opts.log(`  FAILED ${id}: ${message}`);
    return undefined;
  }
}

export async function startAll(
  cands: Candidate[],
  opts: BenchOptions,
  result: ScenarioResult,
): Promise<Started[]> {
  const out: Started[] = [];
  for (const c of cands.filter((c) => selected(c, opts))) {
    const s = await startOne(c, opts, result);
    if (s) out.push(s);
  }
  return out;
}

export async function stopAllStarted(started: Started[]): Promise<void> {
  for (const s of started) await s.running.stop();
}

export function wrkOptions(opts: BenchOptions, extra: Partial<WrkOptions> = {}): WrkOptions {
  return {
    threads: opts.threads,
    connections: opts.connections,
    durationS: opts.durationS,
    ...extra,
  };
}

/** Warm-up, then `rounds` interleaved wrk runs per stack against `path`. */
export async function throughputRounds(
  started: Started[],
  path: string,
  opts: BenchOptions,
  extra: Partial<WrkOptions> = {},
): Promise<Map<string, WrkResult[]>> {
  const samples = new Map<string, WrkResult[]>(started.map((s) => [s.id, []]));
  if (opts.warmupS > 0) {
    for (const s of started)
      await wrk(s.running.url + path, wrkOptions(opts, { ...extra, durationS: opts.warmupS }));
  }
  for (let round = 0; round < opts.rounds; round++) {
    for (const s of rotate(started, round)) {
      const t0 = Date.now();
      const r = await wrk(s.running.url + path, wrkOptions(opts, extra));
      r.foreignLoad = foreignLoad(t0, Date.now());
      samples.get(s.id)?.push(r);
      opts.log(
        `  round ${round + 1} ${s.id}: ${Math.round(r.rps)} req/s, p99 ${r.latency.p99.toFixed(2)} ms${errorCount(r) ? `, ${errorCount(r)} errors` : ""}, other load ${r.foreignLoad.toFixed(2)} cores`,
      );
    }
  }
  return samples;
}

/** A row whose figure is the median p99 of paced runs; `extra` are its other columns, in order. */
export function p99Row(
  id: string,
  label: string,
  rs: WrkResult[],
  extra: Record<string, number>,
): Row {
  const p99 = rs.map((r) => r.latency.p99);
  return { id, label, median: median(p99), min: min(p99), max: max(p99), samples: p99, extra };
}

/** A row from throughput samples: median req/s, with p50/p99 medians as extra columns. */
export function throughputRow(id: string, label: string, rs: WrkResult[]): Row {
  const rps = rs.map((r) => r.rps);
  const errors = rs.reduce((n, r) => n + errorCount(r), 0);
  const requests = rs.reduce((n, r) => n + r.requests, 0);
  const row: Row = {
    id,
    label,
    median: median(rps),
    min: min(rps),
    max: max(rps),
    samples: rps,
    extra: {
      "p50 ms": median(rs.map((r) => r.latency.p50)),
      "p99 ms": median(rs.map((r) => r.latency.p99)),
      "other load": median(rs.map((r) => r.foreignLoad ?? NaN)),
    },
  };
  if (errors > 0)
    row.warning = `${errors} errors in ${requests} requests (${((100 * errors) / Math.max(1, requests)).toFixed(2)}%)`;
  return row;
}

/** Whether a ratio meets its target ("at least" or "at most"). */
export function meets(value: number, target: { op: ">=" | "<="; value: number }): boolean {
  return target.op === ">=" ? value >= target.value : value <= target.value;
}

/**
 * value = a/b of one figure of two rows (by default their medians), when both ran and the
 * figure is there for both.
 */
export function ratioOf(
  result: ScenarioResult,
  name: string,
  a: string,
  b: string,
  target?: { op: ">=" | "<="; value: number },
  figure: (row: Row) => number | undefined = (row) => row.median,
): void {
  const ra = result.rows.find((r) => r.id === a);
  const rb = result.rows.find((r) => r.id === b);
  if (!ra || !rb) return;
  const va = figure(ra);
  const vb = figure(rb);
  if (va === undefined || vb === undefined || vb === 0) return;
  const value = va / vb;
  if (!Number.isFinite(value)) return;
  result.ratios.push(
    target === undefined ? { name, value } : { name, value, target, pass: meets(value, target) },
  );
}
