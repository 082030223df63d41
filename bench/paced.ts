/**
 * Paced rounds on stacks that are already started and warm: each stack gets its own fixed rate
 * (bench/lua/paced.lua), rounds interleave the stacks, and a stack that does not serve its rate
 * is named rather than given a silent figure.
 */
import type { Started } from "./measure.js";
import { foreignLoad } from "./noise.js";
import type { BenchOptions } from "./options.js";
import { rotate } from "./stats.js";
import { errorCount, wrk, type WrkResult } from "./wrk.js";

/** A paced run is longer than this only if --duration is shorter: it settles faster than a peak. */
export const PACED_MAX_S = 5;
/** Served below this share of the offered rate, a stack did not keep the rate. */
export const KEEP_SHARE = 0.95;

export function pacedSeconds(opts: Pick<BenchOptions, "durationS">): number {
  return Math.min(opts.durationS, PACED_MAX_S);
}

/** `share` of a measured req/s as a whole rate, or undefined when there is no figure to take it of. */
export function shareOf(rps: number | undefined, share: number): number | undefined {
  if (rps === undefined || !Number.isFinite(rps) || rps <= 0) return undefined;
  return Math.max(1, Math.round(rps * share));
}

/** Why a set of paced runs does not count as "at the rate", or undefined when it does. */
export function rateProblem(offered: number, runs: WrkResult[]): string | undefined {
  const problems: string[] = [];
  const short = runs.filter((r) => r.rps < KEEP_SHARE * offered);
  if (short.length > 0) {
    const served = short.map((r) => Math.round(r.rps).toLocaleString("en")).join(", ");
    problems.push(
      `did not keep ${offered.toLocaleString("en")} req/s in ${short.length} of ${runs.length} rounds (served ${served})`,
    );
  }
  const errors = runs.reduce((n, r) => n + errorCount(r), 0);
  if (errors > 0) problems.push(`${errors} errors`);
  return problems.length > 0 ? problems.join("; ") : undefined;
}

export interface PacedRun<T> {
  result: WrkResult;
  /** What `around` measured (e.g. CPU before and after). */
  extra: T;
}

/**
 * `opts.rounds` interleaved rounds of a paced wrk run per stack, at `rates.get(id)`; a stack
 * with no rate is left out. `around` wraps each run (to read something before and after it).
 */
export async function pacedRounds<T>(
  started: Started[],
  rates: Map<string, number>,
  opts: BenchOptions,
  around: (s: Started, run: () => Promise<WrkResult>) => Promise<PacedRun<T>>,
): Promise<Map<string, PacedRun<T>[]>> {
  const runs = new Map<string, PacedRun<T>[]>();
  const paced = started.filter((s) => rates.has(s.id));
  for (let round = 0; round < opts.rounds; round++) {
    for (const s of rotate(paced, round)) {
      const rate = rates.get(s.id) as number;
      const t0 = Date.now();
      const one = await around(s, () =>
        wrk(`${s.running.url}/`, {
          threads: opts.threads,
          connections: opts.connections,
          durationS: pacedSeconds(opts),
          rate,
        }),
      );
      one.result.foreignLoad = foreignLoad(t0, Date.now());
      const list = runs.get(s.id) ?? [];
      list.push(one);
      runs.set(s.id, list);
      const r = one.result;
      opts.log(
        `  paced ${round + 1} ${s.id} @${rate}/s: ${Math.round(r.rps)} req/s, p50 ${r.latency.p50.toFixed(2)} p99 ${r.latency.p99.toFixed(2)} ms${errorCount(r) ? `, ${errorCount(r)} errors` : ""}`,
      );
    }
  }
  return runs;
}
