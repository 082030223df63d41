/**
 * The hello scenario's CPU table: CPU per request of every process of every hello stack, at one
 * fixed rate, measured as bench/profile/cpu-per-request.ts does (bench/stack-cpu.ts).
 */
import { emptyResult, ratioOf, type Started } from "../measure.js";
import type { BenchOptions } from "../options.js";
import { pacedRounds, pacedSeconds, rateProblem } from "../paced.js";
import type { Row, ScenarioResult } from "../report/types.js";
import { cpuPerRequest, stackSnapshot, type CpuSplit } from "../stack-cpu.js";
import { max, median, min } from "../stats.js";

export const FRONTEND_COL = "frontend µs/req";
export const HANDLERS_COL = "handler(s) µs/req";

/** One row from a stack's CPU samples: the median total, with the split medians beside it. */
export function cpuRow(
  s: Pick<Started, "id" | "label">,
  splits: CpuSplit[],
  hasHandlers: boolean,
  extra: Record<string, number>,
): Row {
  const totals = splits.map((c) => c.total);
  return {
    id: s.id,
    label: s.label,
    median: median(totals),
    min: min(totals),
    max: max(totals),
    samples: totals,
    extra: {
      [FRONTEND_COL]: median(splits.map((c) => c.frontend)),
      ...(hasHandlers && { [HANDLERS_COL]: median(splits.map((c) => c.handlers)) }),
      ...extra,
    },
  };
}

export async function helloCpu(started: Started[], opts: BenchOptions): Promise<ScenarioResult> {
  const rate = opts.cpuRate;
  const result = emptyResult(
    "hello-cpu",
    `Hello world: CPU per request at ${rate.toLocaleString("en")} req/s`,
    "µs/req total",
    false,
    `utime+stime (/proc/PID/stat, 10 ms ticks) of the frontend's process tree and of each handler process's, ` +
      `read before and after wrk -t${opts.threads} -c${opts.connections} -d${pacedSeconds(opts)}s GET / paced to ` +
      `${rate} req/s by bench/lua/paced.lua, divided by the requests served (wrk itself is not counted; ` +
      `bench/profile/cpu-per-request.ts measures one stack the same way). One rate for every stack, ` +
      `low enough for all of them (--cpu-rate), so every stack does the same work per second and the figure ` +
      `does not move with how far each one saturates. Run after the full-load rounds, ${opts.rounds} rounds ` +
      `interleaved; median (min-max) of the total.`,
  );
  const rates = new Map(started.map((s) => [s.id, rate]));
  const runs = await pacedRounds(started, rates, opts, async (s, run) => {
    const before = stackSnapshot(s.running);
    const r = await run();
    return {
      result: r,
      extra: cpuPerRequest(s.running, before, stackSnapshot(s.running), r.requests),
    };
  });
  for (const s of started) {
    const list = runs.get(s.id) ?? [];
    const results = list.map((x) => x.result);
    const row = cpuRow(
      s,
      list.map((x) => x.extra),
      (s.running.handlerPids ?? []).length > 0,
      {
        "served req/s": median(results.map((r) => r.rps)),
        "other load": median(results.map((r) => r.foreignLoad ?? NaN)),
      },
    );
    const problem = rateProblem(rate, results);
    if (problem !== undefined) {
      row.warning = problem;
      result.notes.push(`${s.id} ${problem}: its figure is not at the common rate`);
    }
    result.rows.push(row);
  }
  const frontend = (r: Row) => r.extra[FRONTEND_COL];
  const pairs: [string, string, string][] = [
    [
      "frontend swap in Ferry's own protocol: Ferry + minimal Ferry handler / Mongrel2 + minimal zeromq.js handler",
      "ferry-node",
      "mongrel2-node",
    ],
    ["Ferry + TS handler / Mongrel2 + same TS handler", "ferry-ts", "mongrel2-ts"],
    [
      "frontend swap, reference zeromq.js handler: Ferry / Mongrel2",
      "ferry-m2-node",
      "mongrel2-node",
    ],
  ];
  for (const [name, a, b] of pairs) {
    ratioOf(result, `frontend CPU per request, ${name}`, a, b, undefined, frontend);
    ratioOf(result, `total CPU per request, ${name}`, a, b);
  }
  ratioOf(
    result,
    "batches on the wire, total CPU per request: minimal Ferry handler with batch 64 / the same with batch 1",
    "ferry-node",
    "ferry-node-b1",
    { op: "<=", value: 1 },
  );
  if (opts.profile)
    result.notes.push("run with --profile: the Ferry processes' CPU includes the V8 profiler's");
  return result;
}
