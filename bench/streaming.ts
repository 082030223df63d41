/**
 * Streaming benchmark: large transfers through a serving process, with that process's peak RSS
 * (VmHWM) measured, so memory that grows with the data shows at once. Modes:
 *
 * - static-download: the static route target (frontend/static) sends a file to a client that
 *   reads at a fixed, slow pace.
 * - proxy-download:  the proxy route target (frontend/proxy) relays a response from a fast
 *   upstream to the same slow client.
 * - proxy-upload:    a client uploads as fast as it can through the proxy to an upstream that
 *   counts the bytes.
 * - ferry-upload:    a client uploads as fast as it can through `ferry frontend` to a TS handler
 *   (examples/streaming) that hashes the body; the hash is checked.
 * - ferry-download:  the same handler generates the download; the client reads it slowly, so
 *   only the frontend's credit keeps the handler from running ahead.
 *
 * In the ferry modes the measured process is the frontend; the handler's peak RSS is reported
 * beside it.
 *
 *   node --import tsx bench/streaming.ts [--size-mib 1024] [--rate-mib 64] [--max-s 60]
 *                                        [--modes static-download,...,ferry-download]
 *   npm run bench -- streaming          (through the harness: bench/scenarios/streaming.ts)
 *
 * The serving process runs dist/ (`npm run build` first) or, without a build, the sources via
 * tsx (`--serve static DIR` / `--serve proxy URL` is that child mode).
 */
import { fileURLToPath } from "node:url";
import type { BenchOptions } from "./options.js";
import type { ScenarioResult } from "./report/types.js";
import { stopAll } from "./processes.js";
import {
  MODES,
  runMode,
  type Mode,
  type StreamingOptions,
  type TransferResult,
} from "./streaming/modes.js";
import { RSS_LIMIT_MIB, toScenario } from "./streaming/report.js";
import { serve } from "./streaming/servers.js";

/** Harness entry (bench/scenarios/streaming.ts). Bounded: at most 60 s per transfer. */
export async function run(opts: Pick<BenchOptions, "log">): Promise<ScenarioResult> {
  const options = { sizeMiB: 1024, rateMiB: 64, maxSeconds: 60, log: opts.log };
  const results: TransferResult[] = [];
  for (const mode of MODES) results.push(await runMode(mode, options));
  return toScenario(results);
}

function flag(args: string[], name: string, fallback: number): number {
  const i = args.indexOf(name);
  const value = i === -1 ? undefined : Number(args[i + 1]);
  return value === undefined || !Number.isFinite(value) || value <= 0 ? fallback : value;
}

async function main(args: string[]): Promise<void> {
  const serveAt = args.indexOf("--serve");
  if (serveAt !== -1) return serve(args[serveAt + 1] ?? "static", args[serveAt + 2] ?? ".");
  const modesAt = args.indexOf("--modes");
  const modes =
    modesAt === -1
      ? [...MODES]
      : (args[modesAt + 1] ?? "").split(",").filter((m): m is Mode => MODES.includes(m as Mode));
  const options: StreamingOptions = {
    sizeMiB: flag(args, "--size-mib", 1024),
    rateMiB: flag(args, "--rate-mib", 64),
    maxSeconds: flag(args, "--max-s", 60),
    log: (m) => console.error(m),
  };
  try {
    const results: TransferResult[] = [];
    for (const mode of modes) results.push(await runMode(mode, options));
    console.log(JSON.stringify(results, null, 2));
    const ok = results.every((r) => r.complete && r.peakRssMiB < RSS_LIMIT_MIB);
    process.exitCode = ok ? 0 : 1;
  } finally {
    await stopAll();
  }
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  await main(process.argv.slice(2));
}
