/**
 * One transfer per mode, with the serving process's peak RSS: the static and proxy route targets
 * on their own, and `ferry frontend` + a TS handler (examples/streaming) for the ferry modes.
 */
import {
  closeSync,
  existsSync,
  ftruncateSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ROOT, rssBytes, sleep, start, type Proc } from "../processes.js";
import { freePort, startServer, startUpstream } from "./servers.js";
import { MiB, pacedDownload, upload, type Transfer } from "./transfers.js";

export const MODES = [
  "static-download",
  "proxy-download",
  "proxy-upload",
  "ferry-upload",
  "ferry-download",
] as const;
export type Mode = (typeof MODES)[number];

export interface StreamingOptions {
  sizeMiB: number;
  /** Pace of the slow reading client (downloads). Uploads go as fast as the path allows. */
  rateMiB: number;
  /** Hard bound on one transfer; past it the transfer stops and is reported as partial. */
  maxSeconds: number;
  log(message: string): void;
}

export interface TransferResult {
  mode: Mode;
  bytesExpected: number;
  bytesTransferred: number;
  seconds: number;
  mibPerSecond: number;
  baselineRssMiB: number;
  /** Largest VmRSS sampled every 50 ms during the transfer. */
  sampledPeakRssMiB: number;
  /** VmHWM after the transfer: the kernel's own peak RSS of the serving process. */
  peakRssMiB: number;
  /** Ferry modes: the handler's VmHWM. */
  handlerPeakRssMiB?: number;
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

/** Runs `transfer` against a started server while sampling its RSS. */
async function measured(
  mode: Mode,
  server: Proc,
  size: number,
  transfer: (port: number) => Promise<Transfer>,
  knownPort?: number,
): Promise<TransferResult> {
  const port = knownPort ?? Number((await server.waitFor(/port (\d+)/, 20_000)).split(" ")[1]);
  // One small exchange first, so one-time costs (undici compiles its llhttp WebAssembly on its
  // first connection) land in the baseline, not in what the transfer seems to cost.
  await pacedDownload(port, "/warm", 1024, 10);
  await sleep(200); // let start-up garbage settle before the baseline
  const baseline = rssBytes(server.pid) ?? 0;
  let sampledPeak = baseline;
  const sampler = setInterval(() => {
    sampledPeak = Math.max(sampledPeak, rssBytes(server.pid) ?? 0);
  }, 50);
  const t = await transfer(port);
  clearInterval(sampler);
  const peak = peakRssBytes(server.pid) ?? sampledPeak;
  return {
    mode,
    bytesExpected: size,
    bytesTransferred: t.bytes,
    seconds: t.seconds,
    mibPerSecond: t.bytes / MiB / t.seconds,
    baselineRssMiB: baseline / MiB,
    sampledPeakRssMiB: sampledPeak / MiB,
    peakRssMiB: peak / MiB,
    complete: t.complete && t.bytes === size,
  };
}

/** `ferry frontend` + `ferry handler examples/streaming` (from dist/), over ipc in a temp dir. */
async function runFerry(mode: Mode, o: StreamingOptions, size: number): Promise<TransferResult> {
  const bin = join(ROOT, "bin/ferry.js");
  if (!existsSync(join(ROOT, "dist/examples/streaming/index.js")))
    throw new Error("dist/ is missing examples/streaming: run npm run build first");
  const dir = mkdtempSync(join(tmpdir(), "ferry-bench-stream-"));
  const ends = {
    requests: `ipc://${dir}/requests`,
    replies: `ipc://${dir}/replies`,
    events: `ipc://${dir}/events`,
  };
  const port = await freePort();
  writeFileSync(
    join(dir, "ferry.json"),
    JSON.stringify({
      listeners: [{ host: "127.0.0.1", port }],
      hosts: [{ names: ["*"], routes: [{ path: "/", target: { kind: "handler", group: "app" } }] }],
      groups: { app: { ...ends, timeout: o.maxSeconds * 1000 } },
      limits: { bodyBytes: Math.max(size, 1024 * MiB) },
    }),
  );
  const env = { FERRY_LOG_LEVEL: "warn" };
  const frontend = start(
    "ferry-frontend",
    process.execPath,
    [bin, "frontend", "--config", join(dir, "ferry.json")],
    { env },
  );
  const handler = start(
    "ferry-handler",
    process.execPath,
    [
      bin,
      "handler",
      "examples/streaming/index.ts",
      "--connect",
      `${ends.requests},${ends.replies},${ends.events}`,
    ],
    { env },
  );
  try {
    // Served by the handler (not the frontend's 503) before anything is measured.
    let ready = false;
    for (let i = 0; i < 400 && !ready; i++) {
      const t = await pacedDownload(port, "/download?bytes=16", 1024, 5).catch(() => undefined);
      ready = t?.bytes === 16;
      if (!ready) await sleep(50);
    }
    if (!ready) throw new Error(`the handler never answered:\n${handler.output().slice(-2000)}`);
    const result = await measured(
      mode,
      frontend,
      size,
      (p) =>
        mode === "ferry-upload"
          ? upload(p, "/hash", size, o.maxSeconds)
          : pacedDownload(p, `/download?bytes=${size}`, o.rateMiB, o.maxSeconds),
      port,
    );
    const handlerPeak = peakRssBytes(handler.pid);
    return handlerPeak === undefined ? result : { ...result, handlerPeakRssMiB: handlerPeak / MiB };
  } finally {
    await handler.stop();
    await frontend.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function runMode(mode: Mode, o: StreamingOptions): Promise<TransferResult> {
  const size = o.sizeMiB * MiB;
  const pace = mode.endsWith("upload") ? "client at full speed" : `client reads ${o.rateMiB} MiB/s`;
  o.log(`${mode}: ${o.sizeMiB} MiB, ${pace} (max ${o.maxSeconds} s)`);
  if (mode === "ferry-upload" || mode === "ferry-download") return runFerry(mode, o, size);
  if (mode === "static-download") {
    const dir = mkdtempSync(join(tmpdir(), "ferry-bench-stream-"));
    // Sparse: costs nothing to create, and the server still reads every byte via the page cache.
    const fd = openSync(join(dir, "big.bin"), "w");
    ftruncateSync(fd, size);
    closeSync(fd);
    const server = startServer("static", dir);
    try {
      return await measured(mode, server, size, (port) =>
        pacedDownload(port, "/big.bin", o.rateMiB, o.maxSeconds),
      );
    } finally {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  }
  const upstream = await startUpstream(size);
  const server = startServer("proxy", upstream.url);
  try {
    return await measured(mode, server, size, (port) =>
      mode === "proxy-upload"
        ? upload(port, "/sink", size, o.maxSeconds)
        : pacedDownload(port, "/big", o.rateMiB, o.maxSeconds),
    );
  } finally {
    await server.stop();
    upstream.server.closeAllConnections();
    upstream.server.close();
  }
}
