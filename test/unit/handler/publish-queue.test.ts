import { describe, expect, it } from "vitest";
import { PublishQueue } from "../../../handler/transport/publish-queue.js";

const turn = () => new Promise((r) => setImmediate(r));

describe("PublishQueue", () => {
  it("sends what one turn queued back to back after the turn, in order", async () => {
    const sent: string[] = [];
    const q = new PublishQueue(
      (topic, payload) => {
        sent.push(`${topic}:${payload.toString()}`);
        return Promise.resolve();
      },
      () => {},
    );
    q.push("f", Buffer.from("1"));
    q.push("g", Buffer.from("2"));
    expect(sent).toEqual([]);
    expect(q.idle).toBe(false);
    expect(q.queuedBytes).toBe(2);
    await turn();
    q.push("f", Buffer.from("3"));
    await q.flushed(1000);
    expect(sent).toEqual(["f:1", "g:2", "f:3"]);
    expect(q.idle).toBe(true);
    expect(q.queuedBytes).toBe(0);
  });

  it("waits for each send, and a failed send stops nothing behind it", async () => {
    const errors: unknown[] = [];
    const sent: string[] = [];
    let release!: () => void;
    const q = new PublishQueue(
      (_topic, payload) => {
        const s = payload.toString();
        if (s === "bad") throw new Error("refused");
        sent.push(s);
        return s === "slow" ? new Promise<void>((r) => (release = r)) : undefined;
      },
      (err) => errors.push(err),
    );
    q.push("t", Buffer.from("slow"));
    q.push("t", Buffer.from("bad"));
    q.push("t", Buffer.from("after"));
    await turn();
    expect(sent).toEqual(["slow"]);
    const below = q.whenBelow(4);
    release();
    await below;
    await q.flushed(1000);
    expect(sent).toEqual(["slow", "after"]);
    expect(errors).toHaveLength(1);
  });

  it("sends nothing after stop()", async () => {
    const sent: Buffer[] = [];
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
