/**
 * N keep-alive clients that each make one request and then stay connected, idle.
 * Prints `connected {json}` once all are in, holds them for HOLD_MS, prints `done {json}`
 * (how many the server closed meanwhile) and exits.
 * Usage: node --import tsx bench/clients/idle.ts PORT N HOLD_MS
 */
import type { Socket } from "node:net";
import { firstChunk, inBatches, open, request } from "./sockets.js";

const [port, n, holdMs] = process.argv.slice(2).map(Number) as [number, number, number];
const sockets: Socket[] = [];
let closedByServer = 0;
let failed = 0;

const t0 = performance.now();
await inBatches(n, 200, async () => {
  try {
    const s = await open(port);
    sockets.push(s);
    s.once("close", () => closedByServer++);
    s.on("error", () => {});
    const chunk = await firstChunk(s, request("/"));
    if (!chunk.toString("latin1").startsWith("HTTP/1.1 200")) failed++;
  } catch {
    failed++;
  }
});
const connectMs = performance.now() - t0;
process.stdout.write(`connected ${JSON.stringify({ n: sockets.length, failed, connectMs })}\n`);
setTimeout(() => {
  process.stdout.write(`done ${JSON.stringify({ closedByServer })}\n`);
  for (const s of sockets) s.destroy();
  process.exit(0);
}, holdMs);
