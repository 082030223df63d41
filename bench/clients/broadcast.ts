/**
 * N long-poll clients (GET /poll, held by the handler), then one GET /broadcast: prints
 * `result {json}` with the time from sending /broadcast until every poll has its first byte.
 * The polls are held by POLLERS child processes (FERRY_BENCH_POLLERS, default 1) that read into
 * one static buffer each (`onread`: no Buffer and no `data` event per read), so the clients take
 * as little CPU as they can from the server they measure. On this 2-core machine 2 pollers were
 * slower than 1 (357-359 vs 308-334 ms for Ferry, interleaved runs), probably because two readers
 * take the core the server's writes need. A machine with more cores can spread them.
 * Usage: node --import tsx bench/clients/broadcast.ts PORT N
 */
import { fork, type ChildProcess } from "node:child_process";
import { connect, type Socket } from "node:net";
import { fileURLToPath } from "node:url";
import { body, firstChunk, inBatches, open, request } from "./sockets.js";

const POLLERS = Math.max(1, Number(process.env.FERRY_BENCH_POLLERS ?? 1) || 1);
const TIMEOUT_MS = 30_000;

/** Milliseconds on a clock every process on the machine shares. */
const now = () => performance.timeOrigin + performance.now();

interface PollerReport {
  kind: "ready" | "done";
  received: number;
  lastAt: number;
}

/**
 * A child: open `n` polls, say `ready`, then `done` once each has its first byte (or on
 * `stop`).
 */
async function poller(port: number, n: number): Promise<void> {
  const send = (m: PollerReport) => process.send!(m);
  const sink = Buffer.allocUnsafe(64 * 1024);
  let received = 0;
  let lastAt = 0;
  let reported = false;
  const report = () => {
    if (reported) return;
    reported = true;
    send({ kind: "done", received, lastAt });
  };
  const sockets: Socket[] = [];
  const openPoll = () =>
    new Promise<void>((resolve, reject) => {
      let first = true;
      const s = connect({
        host: "127.0.0.1",
        port,
        onread: {
          buffer: sink,
          callback: () => {
            if (!first) return true;
            first = false;
            received++;
            lastAt = now();
            if (received === n) report();
            return true;
          },
        },
      });
      s.setNoDelay(true);
      s.once("connect", () => {
        s.off("error", reject);
        s.on("error", () => {});
        s.write(request("/poll"));
        sockets.push(s);
        resolve();
      });
      s.once("error", reject);
    });
  await inBatches(n, Math.ceil(200 / POLLERS), openPoll);
  process.on("message", (m: string) => {
    if (m === "stop") report();
  });
  send({ kind: "ready", received: 0, lastAt: 0 });
  process.on("disconnect", () => process.exit(0));
}

function waitFor(child: ChildProcess, kind: PollerReport["kind"]): Promise<PollerReport> {
  return new Promise((resolve, reject) => {
    const onMessage = (m: PollerReport) => {
      if (m.kind !== kind) return;
      child.off("message", onMessage);
      resolve(m);
    };
    child.on("message", onMessage);
    child.once("exit", (code) => reject(new Error(`poller exited (${code}) before ${kind}`)));
  });
}

async function coordinate(port: number, n: number): Promise<void> {
  const self = fileURLToPath(import.meta.url);
  const shares = Array.from(
    { length: POLLERS },
    (_, i) => Math.floor(n / POLLERS) + (i < n % POLLERS ? 1 : 0),
  );
  const t0 = performance.now();
  const children = shares.map((share) => fork(self, [String(port), String(share), "poller"]));
  await Promise.all(children.map((c) => waitFor(c, "ready")));
  const connectMs = performance.now() - t0;

  // Wait until the handler holds every poll (requests travel through the frontend first).
  const control = await open(port);
  const deadline = Date.now() + 60_000;
  let held = 0;
  while (held < n && Date.now() < deadline) {
    held = Number(body(await firstChunk(control, request("/count"))));
    if (held < n) await new Promise((r) => setTimeout(r, 50));
  }

  const done = children.map((c) => waitFor(c, "done"));
  const timer = setTimeout(() => children.forEach((c) => c.send("stop")), TIMEOUT_MS);
  const start = now();
  const replyAt = firstChunk(control, request("/broadcast")).then(() => now());
  const reports = await Promise.all(done);
  const stoppedAt = now();
  clearTimeout(timer);
  const received = reports.reduce((sum, r) => sum + r.received, 0);
  const ms = (received === n ? Math.max(...reports.map((r) => r.lastAt)) : stoppedAt) - start;
  const replyMs = (await replyAt) - start;
  process.stdout.write(`result ${JSON.stringify({ n, held, received, ms, connectMs, replyMs })}\n`);
  for (const c of children) c.kill();
  control.destroy();
  process.exit(0);
}

const [port, n] = process.argv.slice(2, 4).map(Number) as [number, number];
if (process.argv[4] === "poller") await poller(port, n);
else await coordinate(port, n);
