import { describe, expect, it } from "vitest";
import { Limits } from "../../../protocol/index.js";
import { PublishQueue } from "../../../handler/transport/publish-queue.js";

const turn = () => new Promise((r) => setImmediate(r));

/** A queue whose socket records each message as "topic:payload,payload". */
function recording(): { q: PublishQueue; sent: string[] } {
  const sent: string[] = [];
  const q = new PublishQueue(
    (topic, payloads) => {
      sent.push(`${topic}:${payloads.map((p) => p.toString()).join(",")}`);
      return Promise.resolve();
    },
    () => {},
  );
  return { q, sent };
}

describe("PublishQueue", () => {
  it("sends what one turn queued after the turn, as one message per topic, in order", async () => {
    const { q, sent } = recording();
    q.push("f", Buffer.from("1"));
    q.push("g", Buffer.from("2"));
    q.push("f", Buffer.from("3"));
    expect(sent).toEqual([]);
    expect(q.idle).toBe(false);
    expect(q.queuedBytes).toBe(3);
    await turn();
    q.push("f", Buffer.from("4"));
    await q.flushed(1000);
    expect(sent).toEqual(["f:1,3", "g:2", "f:4"]);
    expect(q.idle).toBe(true);
    expect(q.queuedBytes).toBe(0);
  });

  it("never waits to fill a batch: one payload leaves alone at the end of its turn", async () => {
    const { q, sent } = recording();
    q.push("f", Buffer.from("only"));
    await turn();
    expect(sent).toEqual(["f:only"]);
  });

  it("gathers what is published while a send is pending into the next message", async () => {
    const sent: string[] = [];
    let release!: () => void;
    const q = new PublishQueue(
      (topic, payloads) => {
        sent.push(`${topic}:${payloads.join(",")}`);
        return sent.length === 1 ? new Promise<void>((r) => (release = r)) : undefined;
      },
      () => {},
    );
    q.push("f", Buffer.from("a"));
    await turn();
    q.push("f", Buffer.from("b"));
    await turn();
    q.push("f", Buffer.from("c"));
    await turn();
    expect(sent).toEqual(["f:a"]);
    release();
    await q.flushed(1000);
    expect(sent).toEqual(["f:a", "f:b,c"]);
  });

  it("puts at most Limits.maxBatch payloads in one message", async () => {
    const sizes: number[] = [];
    const q = new PublishQueue(
      (_topic, payloads) => void sizes.push(payloads.length),
      () => {},
    );
    for (let i = 0; i < Limits.maxBatch * 2 + 5; i++) q.push("f", Buffer.from("x"));
    await q.flushed(1000);
    expect(sizes).toEqual([Limits.maxBatch, Limits.maxBatch, 5]);
  });

  it("closes a message once it holds 8 MiB, so large bodies do not hold up the rest", async () => {
    const sizes: number[] = [];
    const q = new PublishQueue(
      (_topic, payloads) => void sizes.push(payloads.length),
      () => {},
    );
    const big = Buffer.alloc(5 * 1024 * 1024);
    for (let i = 0; i < 3; i++) q.push("f", big);
    q.push("f", Buffer.from("small"));
    await q.flushed(1000);
    expect(sizes).toEqual([2, 2]);
  });

  it("waits for each send, and a failed send stops nothing behind it", async () => {
    const errors: unknown[] = [];
    const sent: string[] = [];
    let release!: () => void;
    const q = new PublishQueue(
      (topic, payloads) => {
        if (topic === "bad") throw new Error("refused");
        sent.push(payloads.join(","));
        return topic === "slow" ? new Promise<void>((r) => (release = r)) : undefined;
      },
      (err) => errors.push(err),
    );
    q.push("slow", Buffer.from("slow"));
    q.push("bad", Buffer.from("bad"));
    q.push("t", Buffer.from("after"));
    await turn();
    expect(sent).toEqual(["slow"]);
    const below = q.whenBelow(4);
    release();
    await below;
    await q.flushed(1000);
    expect(sent).toEqual(["slow", "after"]);
    expect(errors).toHaveLength(1);
    expect(q.queuedBytes).toBe(0);
  });

  it("sends nothing after stop()", async () => {
    const sent: Buffer[][] = [];
    const q = new PublishQueue(
      (_t, p) => void sent.push(p),
      () => {},
    );
    q.push("t", Buffer.from("x"));
    q.stop();
    await turn();
    expect(sent).toEqual([]);
  });
});
