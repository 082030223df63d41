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
import { createHash } from "node:crypto";
import { createServer, type Server } from "node:http";
import { connect, type AddressInfo } from "node:net";
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
import { once } from "node:events";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { BenchOptions } from "./options.js";
import type { ScenarioResult } from "./report/types.js";
import { NODE_TS, ROOT, rssBytes, sleep, start, stopAll, type Proc } from "./processes.js";

const MiB = 1024 * 1024;
/** What the issue asks of the frontend: RSS under this while 1 GiB streams. */
const RSS_LIMIT_MIB = 150;
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

interface Transfer {
  bytes: number;
  seconds: number;
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

/** Reads a response at `rateMiB`, pausing the socket so TCP pushes back on the server. */
function pacedDownload(
  port: number,
  path: string,
  rateMiB: number,
  maxSeconds: number,
): Promise<Transfer> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1");
    const started = performance.now();
    const bytesPerMs = (rateMiB * MiB) / 1000;
    let total = 0;
    let headBytes = -1;
    let head = Buffer.alloc(0);
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
      resolve({ bytes: Math.max(0, total - headBytes), seconds, complete: !timedOut });
    });
    socket.write(`GET ${path} HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n`);
  });
}

/** Sends `size` zero bytes as fast as the socket drains; the upstream answers with its count. */
async function upload(
  port: number,
  path: string,
  size: number,
  maxSeconds: number,
): Promise<Transfer> {
  const socket = connect(port, "127.0.0.1");
  await once(socket, "connect");
  const started = performance.now();
  const timer = setTimeout(() => socket.destroy(), maxSeconds * 1000);
  const response: Buffer[] = [];
  socket.on("data", (c: Buffer) => response.push(c));
  const closed = once(socket, "close").catch(() => undefined);
  socket.on("error", () => {});
  socket.write(
    `POST ${path} HTTP/1.1\r\nHost: bench\r\nConnection: close\r\nContent-Length: ${size}\r\n\r\n`,
  );
  const chunk = Buffer.alloc(256 * 1024);
  const hash = createHash("sha256");
  let sent = 0;
  while (sent < size && !socket.destroyed) {
    const piece = size - sent >= chunk.length ? chunk : chunk.subarray(0, size - sent);
    sent += piece.length;
    hash.update(piece);
    if (!socket.write(piece)) await Promise.race([once(socket, "drain"), closed]);
  }
  await closed;
  clearTimeout(timer);
  const seconds = (performance.now() - started) / 1000;
  const text = Buffer.concat(response).toString("latin1");
  const counted = Number(/"bytes":(\d+)/.exec(text)?.[1] ?? -1);
  // A receiver that hashes (the Ferry handler) must have seen exactly these bytes.
  const sha = /"sha256":"([0-9a-f]{64})"/.exec(text)?.[1];
  const intact = sha === undefined || sha === hash.digest("hex");
  return { bytes: Math.max(0, counted), seconds, complete: counted === size && intact };
}

/**
 * The upstream of the proxy modes, in this process (its memory is not measured): GET sends
 * `size` zero bytes with backpressure, POST counts what arrives.
 */
async function startUpstream(size: number): Promise<{ server: Server; url: string }> {
  const zeros = Buffer.alloc(256 * 1024);
  const server = createServer((req, res) => {
    if (req.url === "/warm") return void res.end("warm");
    if (req.method === "POST") {
      let bytes = 0;
      req.on("data", (c: Buffer) => (bytes += c.length));
      req.on("end", () => res.end(JSON.stringify({ bytes })));
      return;
    }
    res.writeHead(200, { "content-length": size });
    let left = size;
    const pump = () => {
      while (left > 0) {
        const piece = left >= zeros.length ? zeros : zeros.subarray(0, left);
        left -= piece.length;
        if (left === 0) res.end(piece);
        else if (!res.write(piece)) return void res.once("drain", pump);
      }
    };
    res.on("close", () => (left = 0));
    pump();
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

/** Source of the serving process for dist/ (no TypeScript loader in the measured RSS). */
function builtScript(kind: "static" | "proxy", arg: string): string | undefined {
  const built = join(ROOT, `dist/frontend/${kind}/index.js`);
  if (!existsSync(built)) return undefined;
  const module = JSON.stringify(pathToFileURL(built).href);
  const setup =
    kind === "static"
      ? [
          `import { serveStatic, StaticRouteConfigSchema } from ${module};`,
          `const route = StaticRouteConfigSchema.parse({ dir: ${JSON.stringify(arg)}, precompressed: false });`,
          `const handle = (req, res) => void serveStatic(req, res, route);`,
        ]
      : [
          `import { proxyRequest, ProxyRouteConfigSchema } from ${module};`,
          `const route = ProxyRouteConfigSchema.parse({ upstream: ${JSON.stringify(arg)} });`,
          `const handle = (req, res) => void proxyRequest(req, res, route);`,
        ];
  return [
    `import { createServer } from "node:http";`,
    ...setup,
    `const server = createServer(handle);`,
    `server.listen(0, "127.0.0.1", () => console.log("port " + server.address().port));`,
    `process.once("SIGTERM", () => process.exit(0));`,
  ].join("\n");
}

function startServer(kind: "static" | "proxy", arg: string): Proc {
  const script = builtScript(kind, arg);
  if (script !== undefined) {
    return start(`${kind}-server`, process.execPath, ["--input-type=module", "-e", script]);
  }
  const [node = process.execPath, ...nodeArgs] = NODE_TS;
  const self = fileURLToPath(import.meta.url);
  return start(`${kind}-server`, node, [...nodeArgs, self, "--serve", kind, arg]);
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

/** A free loopback port (bound and released; the frontend binds it next). */
async function freePort(): Promise<number> {
  const s = createServer();
  s.listen(0, "127.0.0.1");
  await once(s, "listening");
  const port = (s.address() as AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
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

function toScenario(results: TransferResult[]): ScenarioResult {
  const round = (n: number) => Math.round(n * 10) / 10;
  return {
    id: "streaming",
    title: "Streaming: 1 GiB transfers, peak RSS of the serving process",
    unit: "MiB/s",
    higherIsBetter: true,
    method:
      "bench/streaming.ts: one transfer per mode over raw sockets (downloads read at a fixed slow " +
      "pace, uploads as fast as possible); peak RSS is the serving process's VmHWM.",
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
        "MiB moved": round(r.bytesTransferred / MiB),
        ...(r.handlerPeakRssMiB !== undefined && {
          "handler peak RSS MiB": round(r.handlerPeakRssMiB),
        }),
      },
      ...(r.complete
        ? {}
        : { warning: `partial: ${r.bytesTransferred} of ${r.bytesExpected} bytes` }),
    })),
    ratios: [],
    limits: results.map((r) => ({
      name: `${r.mode}: peak RSS of the serving process`,
      value: round(r.peakRssMiB),
      unit: "MiB",
      target: { op: "<" as const, value: RSS_LIMIT_MIB },
      pass: r.peakRssMiB < RSS_LIMIT_MIB,
    })),
    skipped: [],
    notes: [],
  };
}

/** Harness entry (bench/scenarios/streaming.ts). Bounded: at most 60 s per transfer. */
export async function run(opts: Pick<BenchOptions, "log">): Promise<ScenarioResult> {
  const options = { sizeMiB: 1024, rateMiB: 64, maxSeconds: 60, log: opts.log };
  const results: TransferResult[] = [];
  for (const mode of MODES) results.push(await runMode(mode, options));
  return toScenario(results);
}

/** Child mode without a build: serve through the TypeScript sources. */
async function serve(kind: string, arg: string): Promise<void> {
  let handle: Parameters<typeof createServer>[1];
  if (kind === "static") {
    const { serveStatic, StaticRouteConfigSchema } = await import("../frontend/static/index.js");
    const route = StaticRouteConfigSchema.parse({ dir: arg, precompressed: false });
    handle = (req, res) => void serveStatic(req, res, route);
  } else {
    const { proxyRequest, ProxyRouteConfigSchema } = await import("../frontend/proxy/index.js");
    const route = ProxyRouteConfigSchema.parse({ upstream: arg });
    handle = (req, res) => void proxyRequest(req, res, route);
  }
  const server = createServer(handle);
  server.listen(0, "127.0.0.1", () => {
    console.log(`port ${(server.address() as AddressInfo).port}`);
  });
  process.once("SIGTERM", () => process.exit(0));
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
