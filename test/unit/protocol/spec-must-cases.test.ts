/**
 * MUSTs of protocol/SPEC.md that no other test checked, on both sides: the frontend (in-memory
 * transport, real HTTP) and the TS SDK (in-memory transport). spec-musts.test.ts maps each MUST
 * to the tests that check it.
 */
import { describe, expect, it } from "vitest";
import { encodeToFrontend } from "../../../protocol/index.js";
import { get } from "../../integration/frontend/harness.js";
import { hello, rig, stopRigs } from "../frontend/group-rig.js";
import { FID, harnessMaker } from "../handler/harness.js";
import { afterEach } from "vitest";

afterEach(stopRigs);
const harness = harnessMaker();
const pause = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe("topics are compared exactly", () => {
  it("the frontend ignores a reply under a topic its fid is only a prefix of, without counting it", async () => {
    const r = await rig();
    r.send(hello("a"));
    const reply = get(`${r.url}/x`);
    const [m] = await r.requests(1);
    const head = (text: string) =>
      encodeToFrontend({
        kind: "head",
        hid: "a",
        to: [[m!.conn, m!.req, m!.token]],
        status: 200,
        headers: [],
        body: Buffer.from(text),
        end: true,
      });
    // The frontend's SUB subscribed to "fe-test": ZeroMQ also delivers "fe-test0".
    r.mem.deliver([Buffer.from("fe-test0"), head("WRONG")]);
    r.mem.deliver([Buffer.from("fe-tes"), head("WRONG")]);
    await pause(20);
    expect(r.fe.counters.malformedMessages).toBe(0);
    expect(r.fe.counters.repliesDropped).toBe(0);
    r.mem.deliver([Buffer.from("fe-test"), head("right")]);
    expect((await reply).body).toBe("right");
  });

  it("the TS SDK ignores an event under a topic its hid is only a prefix of", async () => {
    let aborted = false;
    const h = harness({
      fetch: (req: Request) => (
        req.signal.addEventListener("abort", () => (aborted = true)),
        new Promise<Response>(() => {})
      ),
    });
    const a = h.request("GET", "/");
    await pause(5);
    h.event(
      { kind: "cancel", fid: FID, conn: a, req: a, reason: "timeout" },
      `${h.connection.hid}0`,
    );
    await pause(5);
    expect(aborted).toBe(false);
    h.event({ kind: "cancel", fid: FID, conn: a, req: a, reason: "timeout" });
    await pause(5);
    expect(aborted).toBe(true);
  });
});

describe("handlers", () => {
  it("do not depend on the set of cancel reasons: an unknown reason still cancels", async () => {
    let aborted = false;
    const h = harness({
      fetch: (req: Request) => (
        req.signal.addEventListener("abort", () => (aborted = true)),
        new Promise<Response>(() => {})
      ),
    });
    const a = h.request("GET", "/");
    await pause(5);
    h.event({ kind: "cancel", fid: FID, conn: a, req: a, reason: "a-reason-from-the-future" });
    await pause(5);
    expect(aborted).toBe(true);
  });

  it("keep sending heartbeats after goodbye until they exit, and never a hello", async () => {
    let release!: () => void;
    const h = harness(
      { fetch: () => new Promise<Response>((r) => (release = () => r(new Response("done")))) },
      { heartbeatMs: 100 },
    );
    const req = h.request("GET", "/");
    await pause(5);
    const drained = h.connection.drain();
    await pause(350);
    const kinds = h.messages.map((m) => m.kind);
    const after = kinds.slice(kinds.indexOf("goodbye") + 1);
    expect(after.filter((k) => k === "heartbeat").length).toBeGreaterThanOrEqual(2);
    expect(after).not.toContain("hello");
    release();
    await drained;
    expect(h.body(h.about(req))).toBe("done");
  });
});

describe("senders do not wait to fill a batch", () => {
  it("the frontend sends a lone request at once, one frame, though the handler takes 64", async () => {
    const r = await rig();
    r.send({ ...hello("a"), batch: 64 } as Parameters<typeof r.send>[0]);
    const started = performance.now();
    const reply = get(`${r.url}/alone`);
    await r.requests(1);
    expect(performance.now() - started).toBeLessThan(1000);
    expect(r.mem.messages.map((m) => m.length)).toEqual([1]);
    const [m] = await r.requests(1);
    r.send({ kind: "end", hid: "a", to: [[m!.conn, m!.req, m!.token]] });
    await expect(reply)
      .rejects.toBeDefined()
      .catch(() => undefined);
  });

  it("the TS SDK publishes a fast reply in the same turn, alone, though it takes batches", async () => {
    const h = harness({ fetch: () => new Response("hi") }, { batch: 64 });
    const req = h.request("GET", "/");
    const replies = await h.done(req);
    expect(replies.filter((m) => m.kind === "head")).toHaveLength(1);
    expect(h.transport.published.filter((p) => p.topic === FID)).toHaveLength(1);
  });
});
