/**
 * The ZeroMQ transport against real peers, per transport: trySend refuses with no peer and at
 * the high-water mark (so the frontend queues), requests reach a PULL, events reach a SUB by
 * topic, and the receive loop hands over every reply message whole.
 */
import { Publisher, Pull, Subscriber } from "zeromq";
import { afterEach, describe, expect, it } from "vitest";
import { zmqTransport } from "../../../frontend/transport/zmq.js";
import type { GroupSockets } from "../../../frontend/transport/types.js";
import { tempDir } from "../../support/tmp.js";
import { endpointsFor, TRANSPORTS } from "./harness.js";

async function until(check: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

for (const transport of TRANSPORTS) {
  describe(`zmq transport over ${transport}`, () => {
    const cleanups: Array<() => unknown> = [];
    afterEach(async () => {
      for (const c of cleanups.splice(0).reverse()) await c();
    });

    /** A group's sockets (send high-water mark 2) on fresh endpoints, closed after the test. */
    async function openGroup(subscribe: string[]) {
      const dir = tempDir();
      cleanups.push(dir.cleanup);
      const endpoints = await endpointsFor(transport, dir.path);
      const sockets: GroupSockets = await zmqTransport.open(endpoints, {
        sendHighWaterMark: 2,
        subscribe,
      });
      cleanups.push(() => sockets.close(0));
      return { endpoints, sockets };
    }

    it("sends, publishes, receives, and refuses when no handler can take a request", async () => {
      const { endpoints, sockets } = await openGroup(["fe-1", "*"]);
      const received: Buffer[][] = [];
      sockets.start((frames) => received.push([...frames]));

      expect(sockets.trySend(Buffer.from("nobody"))).toBe(false);

      const pull = new Pull({ receiveHighWaterMark: 1, linger: 0 });
      const sub = new Subscriber({ linger: 0 });
      const pub = new Publisher({ linger: 0 });
      cleanups.push(() => {
        pull.close();
        sub.close();
        pub.close();
      });
      pull.connect(endpoints.requests);
      sub.connect(endpoints.events);
      sub.subscribe("h-1");
      pub.connect(endpoints.replies);

      await until(() => sockets.trySend(Buffer.from("first")), "peer connected");
      const [first] = await pull.receive();
      expect(first!.toString()).toBe("first");

      // A handler that stops reading fills its pipe: trySend says no instead of blocking.
      // (64 KiB messages, so kernel socket buffers cannot absorb them all.)
      const big = Buffer.alloc(64 * 1024);
      let accepted = 0;
      while (sockets.trySend(big) && accepted < 10_000) accepted++;
      expect(accepted).toBeLessThan(10_000);

      // Events: only the subscribed topic arrives (slow joiner: publish until it does).
      const event = sub.receive();
      let got: Buffer[] | undefined;
      void event.then((frames) => (got = frames));
      await until(() => {
        if (got === undefined) {
          sockets.publish("other", Buffer.from("not-for-h"));
          sockets.publish("h-1", Buffer.from("for-h"));
        }
        return got !== undefined;
      }, "event received");
      expect(got!.map((f) => f.toString())).toEqual(["h-1", "for-h"]);

      // Replies: subscribed topics arrive with every frame; others are filtered by ZeroMQ.
      await until(() => {
        void pub.send(["fe-1", "reply"]);
        void pub.send(["zz-other", "dropped"]);
        return received.length > 0;
      }, "reply received");
      expect(received[0]!.map((f) => f.toString())).toEqual(["fe-1", "reply"]);
      expect(received.some((m) => m[0]!.toString() === "zz-other")).toBe(false);
      expect(sockets.stats.sendErrors).toBe(0);
    });

    it("send() hands over without asking, and gives back what was refused, in order", async () => {
      const { endpoints, sockets } = await openGroup(["fe-1"]);
      const refused: Array<[string, object]> = [];
      let accepted = 0;
      sockets.start(
        () => {},
        (payload, tag, sent) => {
          if (sent) accepted++;
          else refused.push([payload.toString(), tag]);
        },
      );

      // No peer: both come back, with their tags, from a microtask.
      const a = { id: "a" };
      const b = { id: "b" };
      sockets.send(Buffer.from("a"), a);
      sockets.send(Buffer.from("b"), b);
      expect(refused).toEqual([]);
      await Promise.resolve();
      await Promise.resolve();
      expect(refused).toEqual([
        ["a", a],
        ["b", b],
      ]);

      const pull = new Pull({ receiveHighWaterMark: 1, linger: 0 });
      cleanups.push(() => pull.close());
      pull.connect(endpoints.requests);
      await until(() => sockets.trySend(Buffer.from("first")), "peer connected");
      expect((await pull.receive())[0]!.toString()).toBe("first");

      // A peer that reads: nothing is refused. One that stops: the pipe fills and sends come back.
      refused.length = 0;
      sockets.send(Buffer.from("second"), a);
      expect((await pull.receive())[0]!.toString()).toBe("second");
      expect(refused).toEqual([]);
      expect(accepted).toBe(1);
      const big = Buffer.alloc(64 * 1024);
      let sent = 0;
      await until(() => {
        for (let i = 0; i < 100; i++, sent++) sockets.send(big, b);
        return refused.length > 0 || sent >= 10_000;
      }, "a refusal");
      expect(refused.length).toBeGreaterThan(0);
      expect(refused.every(([, tag]) => tag === b)).toBe(true);
      expect(sockets.stats.sendErrors).toBe(0);
    });
  });
}
