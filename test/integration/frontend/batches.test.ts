/**
 * Protocol v2 on real sockets and processes: requests that pile up go to a handler that declared
 * `batch` as multi-frame messages, and its replies come back batched too; a message past the
 * frontend's ZMQ_MAXMSGSIZE drops only that peer's connection; a v1 handler gets one warn line
 * telling the operator to upgrade it, not one per message.
 */
import { Agent } from "node:http";
import { Packr } from "msgpackr";
import { Publisher } from "zeromq";
import { afterEach, describe, expect, it } from "vitest";
import { Limits } from "../../../protocol/index.js";
import { stopAll } from "../../support/processes.js";
import { tempDir } from "../../support/tmp.js";
import {
  endpointsFor,
  get,
  startFrontend,
  startHandler,
  TRANSPORTS,
  waitForCount,
  waitLive,
} from "./harness.js";

for (const transport of TRANSPORTS) {
  describe(`protocol v2 over ${transport}`, () => {
    const dirs: Array<{ cleanup(): void }> = [];
    const closers: Array<() => void> = [];
    const dir = () => {
      const d = tempDir();
      dirs.push(d);
      return d.path;
    };
    afterEach(async () => {
      for (const close of closers.splice(0)) close();
      await stopAll();
      for (const d of dirs.splice(0)) d.cleanup();
    });

    it("delivers piled-up requests in messages of at most `batch`, and takes batched replies", async () => {
      const d = dir();
      const endpoints = await endpointsFor(transport, d);
      const fe = await startFrontend(d, endpoints, { sendHighWaterMark: 1 });
      // It says hello at once but reads requests only after 1.5 s: meanwhile they pile up in the
      // frontend's queue, and leave in batches once the handler reads.
      const handler = startHandler(endpoints, { batch: 8, readAfter: 1500, log: true });
      await fe.proc.waitFor(/"msg":"handler up"/);
      const agent = new Agent({ keepAlive: true, maxSockets: 40 });
      const replies = await Promise.all(
        Array.from({ length: 40 }, (_, i) => get(`${fe.url}/echo/${i}`, { agent })),
      );
      expect(replies.map((r) => r.status)).toEqual(Array(40).fill(200));
      expect(replies.map((r) => (JSON.parse(r.body) as { path: string }).path).sort()).toEqual(
        Array.from({ length: 40 }, (_, i) => `/echo/${i}`).sort(),
      );
      const sizes = [...handler.output().matchAll(/^frames (\d+)$/gm)].map((m) => Number(m[1]));
      expect(sizes.length).toBeGreaterThan(0);
      expect(Math.max(...sizes)).toBeLessThanOrEqual(8);
      agent.destroy();
    });

    it("drops a message past ZMQ_MAXMSGSIZE (that peer's connection only) and keeps serving", async () => {
      const d = dir();
      const endpoints = await endpointsFor(transport, d);
      const fe = await startFrontend(d, endpoints);
      startHandler(endpoints);
      await waitLive(fe.url);
      const rogue = new Publisher({ linger: 0 });
      closers.push(() => rogue.close());
      rogue.connect(endpoints.replies);
      /** Send `frame` until the frontend logs the protocol error it causes (slow joiner). */
      const untilLogged = async (frame: Buffer, code: string) => {
        const deadline = Date.now() + 10_000;
        while (!fe.proc.output().includes(`"code":"${code}"`)) {
          if (Date.now() > deadline) throw new Error(`${code} never logged`);
          await rogue.send(["*", frame]);
          await new Promise((r) => setTimeout(r, 20));
        }
      };
      await untilLogged(Buffer.from([0xc1]), "ERR_DECODE");
      // Received whole, this would be one msgpack 0 and trailing bytes (ERR_TRAILING_BYTES).
      await rogue.send(["*", Buffer.alloc(Limits.maxMessageBytes + 1)]);
      // The rogue's connection was dropped; it reconnects, and what it sends then arrives again.
      await untilLogged(Buffer.from([0x91, 0x01]), "ERR_NOT_MAP");
      expect(fe.proc.output()).not.toContain("ERR_TRAILING_BYTES");
      expect((await get(`${fe.url}/echo/after`)).status).toBe(200);
      expect(fe.proc.child.exitCode).toBeNull();
    });

    it("tells the operator once that a v1 handler must be upgraded", async () => {
      const d = dir();
      const endpoints = await endpointsFor(transport, d);
      const fe = await startFrontend(d, endpoints);
      const v1 = new Publisher({ linger: 0 });
      closers.push(() => v1.close());
      v1.connect(endpoints.replies);
      const hello = new Packr({ useRecords: false, variableMapSize: true }).pack({
        v: 1,
        kind: "hello",
        hid: "old-handler",
        capacity: 8,
        inflight: 0,
        interval: 100,
      });
      // Slow joiner: keep saying hello (as a v1 handler does) until the line shows.
      await new Promise<void>((resolve, reject) => {
        const deadline = Date.now() + 10_000;
        const timer = setInterval(() => {
          void v1.send(["*", hello]);
          if (/speaks Ferry protocol v1/.test(fe.proc.output())) {
            clearInterval(timer);
            resolve();
          } else if (Date.now() > deadline) {
            clearInterval(timer);
            reject(new Error("no v1 warning"));
          }
        }, 20);
      });
      for (let i = 0; i < 20; i++) await v1.send(["*", hello]);
      await waitForCount(fe.proc, /malformed message/g, 1);
      const lines = fe.proc.output().match(/.*speaks Ferry protocol v1.*/g)!;
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain('"level":40');
      expect(lines[0]).toContain(
        "handler old-handler speaks Ferry protocol v1; this frontend speaks v2 (needs secret, token, v:2): upgrade the handler",
      );
      // It never became a handler: the group has none.
      expect((await get(`${fe.url}/echo`)).status).toBe(503);
    });
  });
}
