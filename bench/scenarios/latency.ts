/**
 * 3. Latency under fixed load: p50/p99/p99.9 at 50% of each stack's own peak, paced with
 * bench/lua/paced.lua (Debian's wrk 4.1 has no -R). The peak comes from the hello scenario of the
 * same run when it ran, else from one short unpaced run here.
 */
import {
  emptyResult,
  p99Row,
  ratioOf,
  startAll,
  stopAllStarted,
  type Started,
} from "../measure.js";
import type { BenchOptions } from "../options.js";
import type { ScenarioResult } from "../report/types.js";
import { latencyStacks } from "../stacks/catalog.js";
import { median, rotate } from "../stats.js";
import { foreignLoad } from "../noise.js";
import { errorCount, wrk, type WrkResult } from "../wrk.js";

export const LOAD_FRACTION = 0.5;

async function peakOf(s: Started, opts: BenchOptions, peaks: Map<string, number>): Promise<number> {
  const known = peaks.get(s.id);
  if (known !== undefined) return known;
  const r = await wrk(`${s.running.url}/`, {
    threads: opts.threads,
    connections: opts.connections,
    durationS: Math.min(opts.durationS, 5),
  });
  opts.log(`  peak ${s.id}: ${Math.round(r.rps)} req/s`);
  return r.rps;
}

export async function latency(
  opts: BenchOptions,
  peaks: Map<string, number>,
): Promise<ScenarioResult> {
  const result = emptyResult(
    "latency",
    `Latency at ${LOAD_FRACTION * 100}% of each stack's peak`,
    "ms p99",
    false,
    `wrk -t${opts.threads} -c${opts.connections} -d${opts.durationS}s GET /, paced to ${LOAD_FRACTION * 100}% of the stack's ` +
      `peak req/s by bench/lua/paced.lua (per-thread absolute send schedule through wrk's delay() hook; ` +
      `latency from write to response, no coordinated-omission correction); ${opts.rounds} rounds interleaved, medians.`,
  );
  const started = await startAll(latencyStacks(opts), opts, result);
  const samples = new Map<string, WrkResult[]>(started.map((s) => [s.id, []]));
  const rates = new Map<string, number>();
  try {
    for (const s of started)
      rates.set(s.id, Math.max(1, Math.round(LOAD_FRACTION * (await peakOf(s, opts, peaks)))));
    for (let round = 0; round < opts.rounds; round++) {
      for (const s of rotate(started, round)) {
        const rate = rates.get(s.id) ?? 1;
        const t0 = Date.now();
        const r = await wrk(`${s.running.url}/`, {
          threads: opts.threads,
          connections: opts.connections,
          durationS: opts.durationS,
          rate,
        });
        r.foreignLoad = foreignLoad(t0, Date.now());
        samples.get(s.id)?.push(r);
        opts.log(
          `  round ${round + 1} ${s.id} @${rate}/s: ${Math.round(r.rps)} req/s, p50 ${r.latency.p50.toFixed(2)} p99 ${r.latency.p99.toFixed(2)} p99.9 ${r.latency.p999.toFixed(2)} ms`,
        );
      }
    }
  } finally {
    await stopAllStarted(started);
  }
  for (const s of started) {
    const rs = samples.get(s.id) ?? [];
    const errors = rs.reduce((n, r) => n + errorCount(r), 0);
    const row = p99Row(s.id, s.label, rs, {
      "p50 ms": median(rs.map((r) => r.latency.p50)),
      "p99.9 ms": median(rs.map((r) => r.latency.p999)),
      "offered req/s": rates.get(s.id) ?? 0,
      "served req/s": median(rs.map((r) => r.rps)),
      "other load": median(rs.map((r) => r.foreignLoad ?? NaN)),
    });
    if (errors > 0) row.warning = `${errors} errors`;
    result.rows.push(row);
  }
  const ratio = (name: string, a: string, b: string) =>
    ratioOf(result, name, a, b, { op: "<=", value: 1 });
  ratio("p99: Ferry + TS handler / Mongrel2 + same TS handler", "ferry-ts", "mongrel2-ts");
  ratio(
    "p99: Ferry + TS handler / Mongrel2 + minimal zeromq.js handler (not the same handler)",
    "ferry-ts",
    "mongrel2-node",
  );
  ratio("p99: Ferry / Mongrel2, same zeromq.js Mongrel2 handler", "ferry-m2-node", "mongrel2-node");
  return result;
}
