/**
 * The hello scenario's p99 table: for the stacks the latency targets compare, p50/p99 in a paced
 * run at 50% of the stack's own full-load req/s, beside the p99 of the full-load rounds.
 */
import { emptyResult, p99Row, ratioOf, type Started } from "../measure.js";
import type { BenchOptions } from "../options.js";
import { pacedRounds, pacedSeconds, rateProblem, shareOf } from "../paced.js";
import type { Row, ScenarioResult } from "../report/types.js";
import { median } from "../stats.js";

export const HALF_LOAD = 0.5;
export const FULL_P99_COL = "p99 at full load ms";

/** The stacks whose p99 the targets compare (Ferry against Mongrel2, batches on and off). */
export const HALF_LOAD_IDS = [
  "ferry-ts",
  "mongrel2-ts",
  "ferry-node",
  "ferry-node-b1",
  "mongrel2-node",
  "ferry-m2-node",
];

/** Each stack's rate: half of its own median full-load req/s (from the rows of the hello table). */
export function halfRates(started: Started[], fullLoad: Row[]): Map<string, number> {
  const rates = new Map<string, number>();
  for (const s of started) {
    const rate = shareOf(fullLoad.find((r) => r.id === s.id)?.median, HALF_LOAD);
    if (rate !== undefined) rates.set(s.id, rate);
  }
  return rates;
}

export async function helloHalfLoad(
  started: Started[],
  fullLoad: Row[],
  opts: BenchOptions,
): Promise<ScenarioResult> {
  const pct = `${HALF_LOAD * 100}%`;
  const result = emptyResult(
    "hello-p99",
    `Hello world: p99 at full load and at ${pct} load`,
    `ms p99 at ${pct} load`,
    false,
    `After the full-load rounds, wrk -t${opts.threads} -c${opts.connections} -d${pacedSeconds(opts)}s GET / ` +
      `paced by bench/lua/paced.lua to ${pct} of the stack's own median full-load req/s of this run ` +
      `(offered req/s); ${opts.rounds} rounds interleaved, medians; "${FULL_P99_COL}" is the full-load rounds' ` +
      `median p99. Each stack runs at half of its own rate, not at one common rate: at the same share of ` +
      `capacity every stack queues alike, so the figure compares what each adds at equal utilisation; a ` +
      `common rate would put the slower stack nearer saturation and favour the faster one. ` +
      `Latency from write to response (no coordinated-omission correction).`,
  );
  const rates = halfRates(started, fullLoad);
  for (const s of started)
    if (!rates.has(s.id)) result.notes.push(`${s.id}: no full-load figure to take ${pct} of`);
  const runs = await pacedRounds(started, rates, opts, async (_s, run) => ({
    result: await run(),
    extra: undefined,
  }));
  for (const s of started) {
    const rate = rates.get(s.id);
    if (rate === undefined) continue;
    const rs = (runs.get(s.id) ?? []).map((x) => x.result);
    const full = fullLoad.find((r) => r.id === s.id)?.extra["p99 ms"];
    const row = p99Row(s.id, s.label, rs, {
      ...(full !== undefined && { [FULL_P99_COL]: full }),
      "p50 ms": median(rs.map((r) => r.latency.p50)),
      "offered req/s": rate,
      "served req/s": median(rs.map((r) => r.rps)),
      "other load": median(rs.map((r) => r.foreignLoad ?? NaN)),
    });
    const problem = rateProblem(rate, rs);
    if (problem !== undefined) {
      row.warning = problem;
      result.notes.push(`${s.id} ${problem}`);
    }
    result.rows.push(row);
  }
  const fullP99 = (r: Row) => r.extra[FULL_P99_COL];
  ratioOf(
    result,
    "p99 at full load: Ferry + minimal handler / Mongrel2 + minimal handler",
    "ferry-node",
    "mongrel2-node",
    { op: "<=", value: 2 },
    fullP99,
  );
  ratioOf(
    result,
    `p99 at ${pct} load: Ferry + minimal handler / Mongrel2 + minimal handler`,
    "ferry-node",
    "mongrel2-node",
    { op: "<=", value: 1 },
  );
  const info: [string, string, string][] = [
    ["Ferry + TS handler / Mongrel2 + same TS handler", "ferry-ts", "mongrel2-ts"],
    ["Ferry / Mongrel2, same zeromq.js Mongrel2 handler", "ferry-m2-node", "mongrel2-node"],
  ];
  for (const [name, a, b] of info) {
    ratioOf(result, `p99 at full load: ${name}`, a, b, undefined, fullP99);
    ratioOf(result, `p99 at ${pct} load: ${name}`, a, b);
  }
  const batches = "minimal Ferry handler with batch 64 / the same with batch 1";
  ratioOf(
    result,
    `batches on the wire, p99 at full load: ${batches}`,
    "ferry-node",
    "ferry-node-b1",
    undefined,
    fullP99,
  );
  ratioOf(
    result,
    `batches on the wire, p99 at ${pct} load: ${batches}`,
    "ferry-node",
    "ferry-node-b1",
    { op: "<=", value: 1 },
  );
  return result;
}
