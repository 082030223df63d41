/**
 * wrk, driven with a Lua script that prints one JSON line (bench/lua/report.lua), optionally paced
 * to a fixed rate (bench/lua/paced.lua; Debian's wrk 4.1 has no -R).
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { BENCH, hardNofile, run } from "./processes.js";

export interface WrkOptions {
  threads: number;
  connections: number;
  durationS: number;
  /** Total requests per second to pace at; omitted = as fast as the server answers. */
  rate?: number;
  timeoutS?: number;
  /** Extra request headers ("Name: value"). */
  headers?: string[];
}

export interface WrkResult {
  rps: number;
  requests: number;
  durationS: number;
  errors: { connect: number; read: number; write: number; status: number; timeout: number };
  /** Cores used by other processes during the run (see noise.ts), set by the caller. */
  foreignLoad?: number;
  /** Milliseconds. */
  latency: { p50: number; p90: number; p99: number; p999: number; mean: number; max: number };
}

interface RawResult {
  requests: number;
  duration_us: number;
  errors: WrkResult["errors"];
  latency_us: { p50: number; p90: number; p99: number; p999: number; mean: number; max: number };
}

const TMP = join(BENCH, "results", "tmp");

function script(paced: boolean): string {
  const report = readFileSync(join(BENCH, "lua", "report.lua"), "utf8");
  const body = paced
    ? readFileSync(join(BENCH, "lua", "paced.lua"), "utf8") + "\n" + report
    : report;
  mkdirSync(TMP, { recursive: true });
  const path = join(TMP, paced ? "paced.lua" : "report.lua");
  writeFileSync(path, body);
  return path;
}

export async function wrk(url: string, options: WrkOptions): Promise<WrkResult> {
  const paced = options.rate !== undefined;
  const args = [
    `-t${options.threads}`,
    `-c${options.connections}`,
    `-d${options.durationS}s`,
    `--timeout`,
    `${options.timeoutS ?? 5}s`,
    "-s",
    script(paced),
  ];
  for (const h of options.headers ?? []) args.push("-H", h);
  args.push(url);
  if (paced) args.push("--", String(options.rate), String(options.threads));
  const out = await run("wrk", "wrk", args, {
    nofile: Math.min(hardNofile(), options.connections + 1024),
    timeoutMs: (options.durationS + 30) * 1000,
  });
  const line = /^BENCH_JSON (.*)$/m.exec(out)?.[1];
  if (line === undefined) throw new Error(`wrk printed no result:\n${out.slice(-2000)}`);
  const raw = JSON.parse(line) as RawResult;
  const ms = (us: number) => us / 1000;
  return {
    rps: raw.requests / (raw.duration_us / 1e6),
    requests: raw.requests,
    durationS: raw.duration_us / 1e6,
    errors: raw.errors,
    latency: {
      p50: ms(raw.latency_us.p50),
      p90: ms(raw.latency_us.p90),
      p99: ms(raw.latency_us.p99),
      p999: ms(raw.latency_us.p999),
      mean: ms(raw.latency_us.mean),
      max: ms(raw.latency_us.max),
    },
  };
}

/** Errors that make a run's figure meaningless (a server answering 5xx fast is not fast). */
export function errorCount(r: WrkResult): number {
  return r.errors.connect + r.errors.read + r.errors.write + r.errors.status + r.errors.timeout;
}
