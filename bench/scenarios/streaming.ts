/** 7. Streaming: 1 GiB upload and download through Ferry and its static and proxy targets. */
import type { BenchOptions } from "../options.js";
import type { ScenarioResult } from "../report/types.js";
import { run } from "../streaming.js";

export function streaming(opts: BenchOptions): Promise<ScenarioResult> {
  return run(opts);
}
