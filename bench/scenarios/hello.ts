/**
 * 1. Hello world: requests per second, Ferry against Mongrel2 and bare node:http; then, on the
 * same warm stacks, p50/p99 at half of each one's own req/s (hello-half-load.ts) and CPU per
 * request at one fixed rate (hello-cpu.ts), in tables of their own.
 */
import {
  emptyResult,
  ratioOf,
  startAll,
  stopAllStarted,
  throughputRounds,
  throughputRow,
} from "../measure.js";
import type { BenchOptions } from "../options.js";
import type { ScenarioResult } from "../report/types.js";
import { helloStacks } from "../stacks/catalog.js";
import { helloCpu } from "./hello-cpu.js";
import { HALF_LOAD_IDS, helloHalfLoad } from "./hello-half-load.js";

export async function hello(opts: BenchOptions): Promise<ScenarioResult> {
  const result = emptyResult(
    "hello",
    "Hello world",
    "req/s",
    true,
    `wrk -t${opts.threads} -c${opts.connections} -d${opts.durationS}s GET / ("Hello, World!"), ` +
      `${opts.warmupS}s warm-up, ${opts.rounds} rounds with the stacks interleaved; median (min-max).`,
  );
  const started = await startAll(helloStacks(opts), opts, result);
  try {
    const samples = await throughputRounds(started, "/", opts);
    for (const s of started)
      result.rows.push(throughputRow(s.id, s.label, samples.get(s.id) ?? []));
    const compared = started.filter((s) => HALF_LOAD_IDS.includes(s.id));
    result.tables = [];
    if (compared.length > 0) result.tables.push(await helloHalfLoad(compared, result.rows, opts));
    if (opts.cpuRate > 0) result.tables.push(await helloCpu(started, opts));
  } finally {
    await stopAllStarted(started);
  }
  ratioOf(result, "Ferry + TS handler / Mongrel2 + same TS handler", "ferry-ts", "mongrel2-ts", {
    op: ">=",
    value: 1.3,
  });
  ratioOf(result, "Ferry + TS handler / bare node:http", "ferry-ts", "node-bare", {
    op: ">=",
    value: 0.5,
  });
  // Until the SDK has its Mongrel2 mode: the nearest pair, Mongrel2 with a minimal zeromq.js handler.
  ratioOf(
    result,
    "Ferry + TS handler / Mongrel2 + minimal zeromq.js handler (not the same handler)",
    "ferry-ts",
    "mongrel2-node",
  );
  ratioOf(result, "Ferry + 2 TS handlers / Ferry + 1", "ferry-ts-x2", "ferry-ts");
  ratioOf(
    result,
    "frontend swap, TS handler in Mongrel2 mode: Ferry / Mongrel2",
    "ferry-m2-ts",
    "mongrel2-ts",
  );
  ratioOf(
    result,
    "frontend swap, reference zeromq.js handler: Ferry / Mongrel2",
    "ferry-m2-node",
    "mongrel2-node",
  );
  ratioOf(
    result,
    "frontend swap in Ferry's own protocol: Ferry + minimal Ferry handler / Mongrel2 + minimal zeromq.js handler",
    "ferry-node",
    "mongrel2-node",
  );
  ratioOf(
    result,
    "batches on the wire: minimal Ferry handler with batch 64 / the same with batch 1",
    "ferry-node",
    "ferry-node-b1",
  );
  ratioOf(result, "Mongrel2: zeromq.js handler / Python handler", "mongrel2-node", "mongrel2-py");
  return result;
}
