/**
 * Response credit against a raw client that never reads (real TCP on the client side, the
 * in-memory transport on the handler side). The window bounds the response bytes the frontend
 * holds for that client beyond what the kernel took: credit follows the writes into the socket,
 * so a handler that keeps to its credit stalls once the kernel's buffers are full, and the
 * frontend then holds at most `window` bytes. A handler that sends past its credit is counted
 * and warned about once; its bytes are still written until the connection's queue passes
 * limits.connectionQueueBytes, and then the connection is closed.
 */
import { connect, type Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import type { RequestMsg } from "../../../protocol/index.js";
import type { FerryGroup } from "../../../frontend/groups/ferry.js";
import { hello, rig, stopRigs, type Rig } from "./group-rig.js";

afterEach(stopRigs);

const KiB = 1024;
const MiB = 1024 * KiB;
const WINDOW = 64 * KiB;
const pause = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A client that sends one GET and never reads (no data listener: the stream stays paused). */
function silentClient(url: string, path: string): Socket & { gone: Promise<void> } {
  const { hostname, port } = new URL(url);
  const socket = connect(Number(port), hostname) as Socket & { gone: Promise<void> };
  socket.on("error", () => {});
  socket.gone = new Promise((resolve) => socket.once("close", () => resolve()));
  socket.write(`GET ${path} HTTP/1.1\r\nHost: a.test\r\n\r\n`);
  return socket;
}

function credited(r: Rig, m: RequestMsg): number {
  let sum = 0;
  for (const e of r.events()) if (e.kind === "credit" && e.req === m.req) sum += e.bytes;
  return sum;
}

async function windowRig(): Promise<Rig> {
  const r = await rig(
    { timeout: 5000, responseWindow: WINDOW },
    { limits: { connectionQueueBytes: MiB } },
  );
  r.send(hello("a", "hello", 60_000));
  return r;
}

describe("response window", () => {
  it("a handler that keeps to its credit stalls on a client that never reads; the frontend holds at most the window", async () => {
    const r = await windowRig();
    const client = silentClient(r.url, "/download");
    const [m] = await r.requests(1);
    expect(m!.window).toBe(WINDOW);
    const to: [number, number, number][] = [[m!.conn, m!.req, m!.token]];
    r.send({ kind: "head", hid: "a", to, status: 200, headers: [] });
    const chunk = Buffer.alloc(16 * KiB, 0x61);
    let sent = 0;
    let idleSince = Date.now();
    // Send while credit allows; stop once no credit came for 400 ms (the kernel is full).
    while (Date.now() - idleSince < 400) {
      if (sent + chunk.length <= WINDOW + credited(r, m!)) {
        r.send({ kind: "data", hid: "a", to, data: chunk });
        sent += chunk.length;
        idleSince = Date.now();
      } else await pause(10);
      expect(sent).toBeLessThan(256 * MiB); // the kernel's buffers are finite: this ends
    }
    const ex = (r.fe.groups.get("g") as FerryGroup).pending.get(m!.req)!;
    expect(ex).toBeDefined();
    // What the frontend holds for the client beyond the kernel: at most the window (body bytes;
    // the chunked framing adds 8 bytes per chunk).
    expect(ex.res.writableLength).toBeLessThanOrEqual(WINDOW + 1024);
    expect(sent).toBeGreaterThan(WINDOW); // the kernel took some, and that was credited
    expect(r.fe.counters.windowOverruns).toBe(0);
    expect(r.fe.counters.slowClientsClosed).toBe(0);
    expect(client.destroyed).toBe(false);
    client.destroy();
  });

  it("a head carrying more than the window is written, counted once and warned about once", async () => {
    const r = await windowRig();
    const warnings: string[] = [];
    r.fe.on("handler-warning", (w: { message: string }) => warnings.push(w.message));
    const clients = [silentClient(r.url, "/1"), silentClient(r.url, "/2")];
    const reqs = await r.requests(2);
    for (const m of reqs) {
      const to: [number, number, number][] = [[m.conn, m.req, m.token]];
      r.send({
        kind: "head",
        hid: "a",
        to,
        status: 200,
        headers: [],
        body: Buffer.alloc(256 * KiB),
      });
      r.send({ kind: "data", hid: "a", to, data: Buffer.alloc(16 * KiB) });
    }
    await pause(50);
    // One count per response, one warning per handler (at most once a minute).
    expect(r.fe.counters.windowOverruns).toBe(2);
    expect(warnings.filter((w) => w.includes("window"))).toHaveLength(1);
    // Not closed: 272 KiB is under the connection queue limit.
    expect(r.fe.counters.slowClientsClosed).toBe(0);
    for (const c of clients) expect(c.destroyed).toBe(false);
    for (const c of clients) c.destroy();
  });

  it("a handler that ignores credit has the connection closed once the connection's queue passes its limit", async () => {
    const r = await windowRig();
    const client = silentClient(r.url, "/flood");
    const [m] = await r.requests(1);
    const to: [number, number, number][] = [[m!.conn, m!.req, m!.token]];
    r.send({ kind: "head", hid: "a", to, status: 200, headers: [] });
    // 64 MiB against a 1 MiB queue limit: far more than any kernel buffer takes.
    for (let i = 0; i < 64 && r.fe.counters.slowClientsClosed === 0; i++) {
      r.send({ kind: "data", hid: "a", to, data: Buffer.alloc(MiB) });
      await pause(1);
    }
    expect(r.fe.counters.slowClientsClosed).toBe(1);
    expect(r.fe.counters.windowOverruns).toBe(1);
    // The client, reading now, gets what the kernel held, then the end of the connection.
    client.resume();
    await client.gone;
    // The exchange is gone: later replies for it are dropped, not buffered.
    expect((r.fe.groups.get("g") as FerryGroup).pending.has(m!.req)).toBe(false);
  });
});
