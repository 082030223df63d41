/**
 * 5. Scaling: an I/O-bound handler (GET /io waits 20 ms) with 1, 2, 4, 8 handler processes.
 * A handler process works on `capacity` requests at once (sync Python: 1), so a perfect
 * frontend gives N times the 1-process figure. Every (stack, N) is started fresh per round.
 */
import { emptyResult, startOne, throughputRow, type Candidate } from "../measure.js";
import type { BenchOptions } from "../options.js";
import type { ScenarioResult } from "../report/types.js";
import { scalingStacks } from "../stacks/catalog.js";
import { rotate } from "../stats.js";
import { foreignLoad } from "../noise.js";
import { wrk, type WrkResult } from "../wrk.js";

export const HANDLER_COUNTS = [1, 2, 4, 8];

export async function scaling(opts: BenchOptions): Promise<ScenarioResult> {
  const result = emptyResult(
    "scaling",
    "I/O-bound handler (20 ms per request), 1-8 handler processes",
    "req/s",
    true,
    `wrk -t${opts.threads} -c${opts.connections} -d${opts.durationS}s GET /io; each (stack, processes) started fresh, ` +
      `1 s warm-up, ${opts.rounds} rounds interleaved; median. "linear" = req/s / (N x req/s with 1 process).`,
  );
  const idOf = (c: Candidate) => c.id ?? c.stack.id;
  const cands = scalingStacks(opts).filter(
    (c) => opts.only.length === 0 || opts.only.some((s) => idOf(c).includes(s)),
  );
  const runs = cands.flatMap((c) => HANDLER_COUNTS.map((n) => ({ c, n, id: `${idOf(c)} x${n}` })));
  const samples = new Map<string, WrkResult[]>();
  const labels = new Map<string, string>();
  for (let round = 0; round < opts.rounds; round++) {
    for (const r of rotate(runs, round)) {
      if (result.skipped.some((s) => s.id === idOf(r.c))) continue;
      const s = await startOne(
        { ...r.c, options: { ...r.c.options, handlers: r.n } },
        opts,
        result,
      );
      if (!s) continue;
      labels.set(r.id, `${s.label}, ${r.n} process${r.n > 1 ? "es" : ""}`);
      try {
        await wrk(`${s.running.url}/io`, {
          threads: opts.threads,
          connections: opts.connections,
          durationS: 1,
        });
        const t0 = Date.now();
        const w = await wrk(`${s.running.url}/io`, {
          threads: opts.threads,
          connections: opts.connections,
          durationS: opts.durationS,
        });
        w.foreignLoad = foreignLoad(t0, Date.now());
        samples.set(r.id, [...(samples.get(r.id) ?? []), w]);
        opts.log(
          `  round ${round + 1} ${r.id}: ${Math.round(w.rps)} req/s, p99 ${w.latency.p99.toFixed(1)} ms`,
        );
      } finally {
        await s.running.stop();
      }
    }
  }
  for (const r of runs) {
    const rs = samples.get(r.id);
    if (!rs) continue;
    result.rows.push(throughputRow(r.id, labels.get(r.id) ?? r.id, rs));
  }
  for (const c of cands) {
    const one = result.rows.find((row) => row.id === `${idOf(c)} x1`);
    if (!one) continue;
    for (const n of HANDLER_COUNTS) {
      const row = result.rows.find((x) => x.id === `${idOf(c)} x${n}`);
      if (row) row.extra["linear"] = row.median / (n * one.median);
    }
    const eight = result.rows.find((row) => row.id === `${idOf(c)} x8`);
    if (eight) {
      const value = eight.median / (8 * one.median);
      const isFerry = idOf(c).startsWith("ferry");
      result.ratios.push({
        name: `${c.label ?? c.stack.label}: 8 processes / (8 x 1 process)`,
        value,
        ...(isFerry ? { target: { op: ">=" as const, value: 0.9 }, pass: value >= 0.9 } : {}),
      });
    }
  }
  return result;
}
