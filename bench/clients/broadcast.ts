/**
 * N long-poll clients (GET /poll, held by the handler), then one GET /broadcast: prints
 * `result {json}` with the time from sending /broadcast until every poll has its first byte.
 * Usage: node --import tsx bench/clients/broadcast.ts PORT N
 */
import type { Socket } from "node:net";
import { body, firstChunk, inBatches, open, request } from "./sockets.js";

const [port, n] = process.argv.slice(2).map(Number) as [number, number];
const polls: Socket[] = [];
let received = 0;
let lastAt = 0;
let done: () => void = () => {};
const allIn = new Promise<void>((resolve) => (done = resolve));

const t0 = performance.now();
await inBatches(n, 200, async () => {
  const s = await open(port);
  s.on("error", () => {});
  s.once("data", () => {
    received++;
    lastAt = performance.now();
    if (received === n) done();
  });
  s.write(request("/poll"));
  polls.push(s);
});
const connectMs = performance.now() - t0;

// Wait until the handler holds every poll (requests travel through the frontend first).
const control = await open(port);
const deadline = Date.now() + 60_000;
let held = 0;
while (held < n && Date.now() < deadline) {
  held = Number(body(await firstChunk(control, request("/count"))));
  if (held < n) await new Promise((r) => setTimeout(r, 50));
}

const start = performance.now();
const replyAt = firstChunk(control, request("/broadcast")).then(() => performance.now());
const timeout = new Promise<void>((r) => setTimeout(r, 30_000));
await Promise.race([allIn, timeout]);
const ms = (received === n ? lastAt : performance.now()) - start;
const replyMs = (await replyAt) - start;
process.stdout.write(`result ${JSON.stringify({ n, held, received, ms, connectMs, replyMs })}\n`);
for (const s of polls) s.destroy();
control.destroy();
process.exit(0);
