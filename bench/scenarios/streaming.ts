/**
 * 6. Streaming (1 GiB up and down through Ferry) lives in bench/streaming.ts, owned by the
 * streaming work. This runs it when it is there: a `run(options)` export is called and its result
 * stored (as a ScenarioResult when it has rows, else as raw data); otherwise it is skipped.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { emptyResult } from "../measure.js";
import type { BenchOptions } from "../options.js";
import { BENCH } from "../processes.js";
import type { ScenarioResult } from "../report/types.js";

export async function streaming(opts: BenchOptions): Promise<ScenarioResult> {
  const result = emptyResult(
    "streaming",
    "Streaming: 1 GiB upload and download through Ferry",
    "MiB/s",
    true,
    "bench/streaming.ts",
  );
  const file = join(BENCH, "streaming.ts");
  if (!existsSync(file)) {
    result.skipped.push({ id: "ferry", reason: "bench/streaming.ts is not there yet" });
    return result;
  }
  const mod = (await import(file)) as {
    run?: (o: BenchOptions) => Promise<unknown>;
    default?: (o: BenchOptions) => Promise<unknown>;
  };
  const fn = mod.run ?? mod.default;
  if (typeof fn !== "function") {
    result.skipped.push({
      id: "ferry",
      reason: "bench/streaming.ts exports no run(options) function",
    });
    return result;
  }
  const out = await fn(opts);
  if (out !== null && typeof out === "object" && Array.isArray((out as ScenarioResult).rows)) {
    return { ...result, ...(out as Partial<ScenarioResult>), id: "streaming" } as ScenarioResult;
  }
  result.raw = out;
  return result;
}
