/**
 * 4. Connections: the frontend's RSS while N keep-alive clients sit idle, and the time one
 * broadcast takes to reach N long-poll clients. Each stack is started fresh for every round (a
 * clean RSS baseline); clients run in their own process with a raised open-file limit.
 */
import { join } from "node:path";
import { emptyResult, ratioOf, startOne } from "../measure.js";
import type { BenchOptions } from "../options.js";
import { BENCH, NODE_TS, hardNofile, rssBytes, sleep, start } from "../processes.js";
import type { Row, ScenarioResult } from "../report/types.js";
import { connectionStacks } from "../stacks/catalog.js";
import type { RunningStack } from "../stacks/types.js";
import { max, median, min, rotate } from "../stats.js";

const MiB = 1024 * 1024;
const HOLD_MS = 3000;

interface IdleSample {
  baseMiB: number;
  peakMiB: number;
  connected: number;
  closedByServer: number;
}
interface BroadcastSample {
  ms: number;
  received: number;
  replyMs: number;
}

function client(file: string, args: string[]) {
  const [node, ...pre] = NODE_TS as [string, ...string[]];
  return start(file, node, [...pre, join(BENCH, "clients", file), ...args], {
    nofile: hardNofile(),
  });
}

async function idle(running: RunningStack, n: number): Promise<IdleSample> {
  const port = new URL(running.url).port;
  const baseMiB = (rssBytes(running.frontendPid) ?? 0) / MiB;
  const c = client("idle.ts", [port, String(n), String(HOLD_MS)]);
  const line = await c.waitFor(/connected (.*)/, 120_000);
  const info = JSON.parse(line.slice("connected ".length)) as { n: number; failed: number };
  let peak = 0;
  for (let t = 0; t < HOLD_MS - 500; t += 500) {
    peak = Math.max(peak, rssBytes(running.frontendPid) ?? 0);
    await sleep(500);
  }
  const done = await c.waitFor(/done (.*)/, HOLD_MS + 10_000);
  await c.stop();
  const closed = (JSON.parse(done.slice("done ".length)) as { closedByServer: number })
    .closedByServer;
  return { baseMiB, peakMiB: peak / MiB, connected: info.n - info.failed, closedByServer: closed };
}

async function broadcast(running: RunningStack, n: number): Promise<BroadcastSample> {
  const port = new URL(running.url).port;
  const c = client("broadcast.ts", [port, String(n)]);
  const line = await c.waitFor(/result (.*)/, 180_000);
  await c.stop();
  return JSON.parse(line.slice("result ".length)) as BroadcastSample;
}

export async function connections(opts: BenchOptions): Promise<ScenarioResult> {
  const n = opts.clients;
  const rounds = Math.min(opts.rounds, 3);
  const result = emptyResult(
    "connections",
    `${n.toLocaleString("en")} idle keep-alive connections`,
    "MiB RSS",
    false,
    `Frontend process RSS (VmRSS, peak over ${HOLD_MS / 1000} s) with ${n} clients connected, each after one ` +
      `keep-alive GET /; fresh stack per round, ${rounds} rounds, median.`,
  );
  const bcast = emptyResult(
    "broadcast",
    `One broadcast to ${n.toLocaleString("en")} long-poll clients`,
    "ms",
    false,
    `${n} clients hold GET /poll; then GET /broadcast makes the handler answer all of them with one ` +
      `reply (Mongrel2: one message per 128 ids); time from sending /broadcast until every client has its ` +
      `first byte; fresh stack per round, ${rounds} rounds, median.`,
  );
  result.tables = [bcast];
  const cands = connectionStacks(opts).filter(
    (c) => opts.only.length === 0 || opts.only.some((s) => c.stack.id.includes(s)),
  );
  const idleSamples = new Map<string, IdleSample[]>();
  const bSamples = new Map<string, BroadcastSample[]>();
  const labels = new Map<string, string>();
  for (let round = 0; round < rounds; round++) {
    for (const cand of rotate(cands, round)) {
      if (result.skipped.some((s) => s.id === cand.stack.id)) continue;
      const s = await startOne(cand, opts, result);
      if (!s) continue;
      labels.set(s.id, s.label);
      try {
        const i = await idle(s.running, n);
        opts.log(
          `  round ${round + 1} ${s.id}: ${i.connected} idle, RSS ${i.baseMiB.toFixed(1)} -> ${i.peakMiB.toFixed(1)} MiB, ${i.closedByServer} closed by server`,
        );
        idleSamples.set(s.id, [...(idleSamples.get(s.id) ?? []), i]);
        const b = await broadcast(s.running, n);
        opts.log(
          `  round ${round + 1} ${s.id}: broadcast to ${b.received}/${n} in ${b.ms.toFixed(1)} ms`,
        );
        bSamples.set(s.id, [...(bSamples.get(s.id) ?? []), b]);
      } catch (err) {
        const message = String(err instanceof Error ? err.message : err).split("\n")[0] ?? "";
        result.notes.push(`${s.id} round ${round + 1}: ${message}`);
        opts.log(`  ${s.id}: ${message}`);
      } finally {
        await s.running.stop();
      }
    }
  }
  for (const [id, xs] of idleSamples) {
    const peak = xs.map((x) => x.peakMiB);
    const row: Row = {
      id,
      label: labels.get(id) ?? id,
      median: median(peak),
      min: min(peak),
      max: max(peak),
      samples: peak,
      extra: {
        "idle MiB": median(xs.map((x) => x.baseMiB)),
        "KiB/conn": (1024 * median(xs.map((x) => x.peakMiB - x.baseMiB))) / n,
      },
    };
    const short = xs.filter((x) => x.connected < n || x.closedByServer > 0);
    if (short.length > 0)
      row.warning = `connected ${Math.min(...xs.map((x) => x.connected))}/${n}, closed by server ${Math.max(...xs.map((x) => x.closedByServer))}`;
    result.rows.push(row);
  }
  for (const [id, xs] of bSamples) {
    const ms = xs.map((x) => x.ms);
    const row: Row = {
      id,
      label: labels.get(id) ?? id,
      median: median(ms),
      min: min(ms),
      max: max(ms),
      samples: ms,
      extra: { "/broadcast reply ms": median(xs.map((x) => x.replyMs)) },
    };
    const lost = xs.filter((x) => x.received < n);
    if (lost.length > 0)
      row.warning = `only ${Math.min(...xs.map((x) => x.received))}/${n} reached`;
    bcast.rows.push(row);
  }
  const ferryIdle = result.rows.find((r) => r.id === "ferry-ts");
  if (ferryIdle)
    result.limits.push({
      name: `Ferry frontend RSS, ${n} idle`,
      value: ferryIdle.median,
      unit: "MiB",
      target: { op: "<", value: 150 },
      pass: ferryIdle.median < 150,
    });
  // The floor's idle RSS says nothing about a server: it only bounds the broadcast.
  result.rows = result.rows.filter((r) => r.id !== "net-floor");
  ratioOf(bcast, `Ferry broadcast to ${n} / the bare node:net floor`, "ferry-ts", "net-floor", {
    op: "<=",
    value: 1.2,
  });
  ratioOf(
    bcast,
    `bare node:http broadcast to ${n} / the bare node:net floor`,
    "node-bare",
    "net-floor",
  );
  ratioOf(
    bcast,
    `Mongrel2 broadcast to ${n} / the bare node:net floor`,
    "mongrel2-node",
    "net-floor",
  );
  return result;
}
