/**
 * Streaming benchmark: a large download to a client that reads slowly, with the serving
 * process's peak RSS (VmHWM) measured, so memory that grows with the data shows at once.
 *
 * Today it measures the static-directory route target (frontend/static) served by a plain
 * node:http process. Once request and response streaming through handlers exists, the same
 * client and RSS probe measure a 1 GiB upload to a hashing handler and a 1 GiB handler download
 * through the Ferry frontend (see MODES below).
 *
 *   node --import tsx bench/streaming.ts [--size-mib 1024] [--rate-mib 64] [--max-s 60]
 *   npm run bench -- streaming          (through the harness: bench/scenarios/streaming.ts)
 *
 * The serving process runs dist/ (`npm run build` first) or, without a build, the sources via
 * tsx (`--serve DIR` is that child mode: serve DIR and print the port).
 */
import { createServer } from "node:http";
import { connect, type AddressInfo } from "node:net";
import {
  closeSync,
  existsSync,
  ftruncateSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { serveStatic, StaticRouteConfigSchema } from "../frontend/static/index.js";
import type { BenchOptions } from "./options.js";
import type { ScenarioResult } from "./report/types.js";
import { NODE_TS, ROOT, rssBytes, sleep, start, stopAll, type Proc } from "./processes.js";

const MiB = 1024 * 1024;
/** What the issue asks of the frontend: RSS under this while 1 GiB streams. */
const RSS_LIMIT_MIB = 150;
/** Modes this script will measure; only "static-download" exists yet. */
export const MODES = ["static-download", "ferry-upload", "ferry-download"] as const;

export interface StreamingOptions {
  sizeMiB: number;
  /** Client reading pace. */
  rateMiB: number;
  /** Hard bound on one transfer; past it the transfer stops and is reported as partial. */
  maxSeconds: number;
  log(message: string): void;
}

export interface TransferResult {
  mode: (typeof MODES)[number];
  bytesExpected: number;
  bytesReceived: number;
  seconds: number;
  mibPerSecond: number;
  baselineRssMiB: number;
  /** Largest VmRSS sampled every 50 ms during the transfer. */
  sampledPeakRssMiB: number;
  /** VmHWM after the transfer: the kernel's own peak RSS of the serving process. */
  peakRssMiB: number;
  complete: boolean;
}

/** Peak resident set size (VmHWM) in bytes, or undefined when the process is gone. */
function peakRssBytes(pid: number): number | undefined {
  try {
    const match = /^VmHWM:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return match?.[1] === undefined ? undefined : Number(match[1]) * 1024;
  } catch {
    return undefined;
  }
}

/** Reads a response at `rateMiB` (pausing the socket, so TCP pushes back on the server). */
function pacedDownload(
  port: number,
  path: string,
  rateMiB: number,
  maxSeconds: number,
): Promise<{ bodyBytes: number; seconds: number; complete: boolean }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1");
    const started = performance.now();
    let total = 0;
    let headBytes = -1;
    let head = Buffer.alloc(0);
    const bytesPerMs = (rateMiB * MiB) / 1000;
    let timedOut = false;
    const deadline = setTimeout(() => {
      timedOut = true;
      socket.destroy();
    }, maxSeconds * 1000);
    socket.on("data", (chunk: Buffer) => {
      total += chunk.length;
      if (headBytes === -1) {
        head = Buffer.concat([head, chunk]);
        const end = head.indexOf("\r\n\r\n");
        if (end !== -1) headBytes = end + 4;
      }
      const ahead = total / bytesPerMs - (performance.now() - started);
      if (ahead > 1) {
        socket.pause();
        setTimeout(() => socket.resume(), ahead);
      }
    });
    socket.on("error", reject);
    socket.on("close", () => {
      clearTimeout(deadline);
      const seconds = (performance.now() - started) / 1000;
      resolve({ bodyBytes: Math.max(0, total - headBytes), seconds, complete: !timedOut });
    });
    socket.write(`GET ${path} HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n`);
  });
}

/**
 * The serving process: the built module (dist/, as `ferry` runs it) when there is one, so the
 * RSS figures carry no TypeScript loader; else the sources through tsx.
 */
function startServer(dir: string): Proc {
  const built = join(ROOT, "dist/frontend/static/index.js");
  if (existsSync(built)) {
    const script = [
      `import { createServer } from "node:http";`,
      `import { serveStatic, StaticRouteConfigSchema } from ${JSON.stringify(pathToFileURL(built).href)};`,
      `const route = StaticRouteConfigSchema.parse({ dir: ${JSON.stringify(dir)}, precompressed: false });`,
      `const server = createServer((req, res) => void serveStatic(req, res, route));`,
      `server.listen(0, "127.0.0.1", () => console.log("port " + server.address().port));`,
      `process.once("SIGTERM", () => server.close(() => process.exit(0)));`,
    ].join("\n");
    return start("static-server", process.execPath, ["--input-type=module", "-e", script]);
  }
  const [node = process.execPath, ...nodeArgs] = NODE_TS;
  return start("static-server", node, [
    ...nodeArgs,
    fileURLToPath(import.meta.url),
    "--serve",
    dir,
  ]);
}

export async function staticDownload(options: StreamingOptions): Promise<TransferResult> {
  const dir = mkdtempSync(join(tmpdir(), "ferry-bench-stream-"));
  const size = options.sizeMiB * MiB;
  // Sparse: creating it costs nothing, and the server still reads every byte through the page cache.
  const fd = openSync(join(dir, "big.bin"), "w");
  ftruncateSync(fd, size);
  closeSync(fd);
  const server = startServer(dir);
  try {
    const port = Number((await server.waitFor(/port (\d+)/, 20_000)).split(" ")[1]);
    await sleep(200); // let start-up garbage settle before the baseline
    const baseline = rssBytes(server.pid) ?? 0;
    let sampledPeak = baseline;
    const sampler = setInterval(() => {
      sampledPeak = Math.max(sampledPeak, rssBytes(server.pid) ?? 0);
    }, 50);
    options.log(
      `static-download: ${options.sizeMiB} MiB at ${options.rateMiB} MiB/s (max ${options.maxSeconds} s)`,
    );
    const transfer = await pacedDownload(port, "/big.bin", options.rateMiB, options.maxSeconds);
    clearInterval(sampler);
    const peak = peakRssBytes(server.pid) ?? sampledPeak;
    return {
      mode: "static-download",
      bytesExpected: size,
      bytesReceived: transfer.bodyBytes,
      seconds: transfer.seconds,
      mibPerSecond: transfer.bodyBytes / MiB / transfer.seconds,
      baselineRssMiB: baseline / MiB,
      sampledPeakRssMiB: sampledPeak / MiB,
      peakRssMiB: peak / MiB,
      complete: transfer.complete && transfer.bodyBytes === size,
    };
  } finally {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

function toScenario(results: TransferResult[]): ScenarioResult {
  const round = (n: number) => Math.round(n * 10) / 10;
  return {
    id: "streaming",
    title: "Streaming: large transfers to slow clients, peak RSS of the serving process",
    unit: "MiB/s",
    higherIsBetter: true,
    method:
      "bench/streaming.ts: one transfer per mode to a raw-socket client reading at a fixed pace; " +
      "peak RSS is the serving process's VmHWM.",
    rows: results.map((r) => ({
      id: r.mode,
      label: r.mode,
      median: round(r.mibPerSecond),
      min: round(r.mibPerSecond),
      max: round(r.mibPerSecond),
      samples: [round(r.mibPerSecond)],
      extra: {
        "peak RSS MiB": round(r.peakRssMiB),
        "baseline RSS MiB": round(r.baselineRssMiB),
        "MiB sent": round(r.bytesReceived / MiB),
      },
      ...(r.complete ? {} : { warning: `partial: ${r.bytesReceived} of ${r.bytesExpected} bytes` }),
    })),
    ratios: [],
    limits: results.map((r) => ({
      name: `${r.mode}: peak RSS of the serving process`,
      value: round(r.peakRssMiB),
      unit: "MiB",
      target: { op: "<" as const, value: RSS_LIMIT_MIB },
      pass: r.peakRssMiB < RSS_LIMIT_MIB,
    })),
    skipped: [
      { id: "ferry-upload", reason: "needs streamed request bodies through the frontend" },
      { id: "ferry-download", reason: "needs streamed handler responses with credits" },
    ],
    notes: [],
  };
}

/** Harness entry (bench/scenarios/streaming.ts). Bounded: at most `maxSeconds` per transfer. */
export async function run(opts: Pick<BenchOptions, "log">): Promise<ScenarioResult> {
  const result = await staticDownload({
    sizeMiB: 1024,
    rateMiB: 64,
    maxSeconds: 60,
    log: opts.log,
  });
  return toScenario([result]);
}

function serve(dir: string): void {
  const route = StaticRouteConfigSchema.parse({ dir, precompressed: false });
  const server = createServer((req, res) => void serveStatic(req, res, route));
  server.listen(0, "127.0.0.1", () => {
    console.log(`port ${(server.address() as AddressInfo).port}`);
  });
  process.once("SIGTERM", () => server.close(() => process.exit(0)));
}

function flag(args: string[], name: string, fallback: number): number {
  const i = args.indexOf(name);
  const value = i === -1 ? undefined : Number(args[i + 1]);
  return value === undefined || !Number.isFinite(value) || value <= 0 ? fallback : value;
}

async function main(args: string[]): Promise<void> {
  const serveAt = args.indexOf("--serve");
  if (serveAt !== -1) {
    serve(args[serveAt + 1] ?? ".");
    return;
  }
  try {
    const result = await staticDownload({
      sizeMiB: flag(args, "--size-mib", 1024),
      rateMiB: flag(args, "--rate-mib", 64),
      maxSeconds: flag(args, "--max-s", 60),
      log: (m) => console.error(m),
    });
    console.log(JSON.stringify(result, null, 2));
    process.exitCode = result.complete && result.peakRssMiB < RSS_LIMIT_MIB ? 0 : 1;
  } finally {
    await stopAll();
  }
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  await main(process.argv.slice(2));
}
