/**
 * Protocol v2 batches and reply fields with the in-memory transport: requests go out in messages
 * of at most the live handlers' smallest `batch`, a multi-payload reply message is applied in
 * order (one bad payload does not spoil the rest), `head.reason` is used when valid, and
 * `error.message` never reaches the client.
 */
import { afterEach, describe, expect, it } from "vitest";
import {
  encodeToFrontend,
  Limits,
  type Draft,
  type HeadMsg,
  type RequestMsg,
} from "../../../protocol/index.js";
import { get } from "../../integration/frontend/harness.js";
import { rawExchange } from "../../integration/frontend/raw.js";
import { hello, rig, stopRigs, type Rig } from "./group-rig.js";

afterEach(stopRigs);

const to = (m: RequestMsg): [number, number, number][] => [[m.conn, m.req, m.token]];
const ok = (m: RequestMsg, body: string): Draft<HeadMsg> => ({
  kind: "head",
  hid: "a",
  to: to(m),
  status: 200,
  headers: [],
  body: Buffer.from(body),
  end: true,
});

/** Queue `n` requests while no handler has room, then let them go in one flush. */
async function queuedThenFlushed(r: Rig, n: number): Promise<Promise<unknown>[]> {
  r.mem.capacity = 0;
  const pending = Array.from({ length: n }, (_, i) => get(`${r.url}/${i}`));
  const deadline = Date.now() + 5000;
  while (r.fe.groups.get("g")!.status().queued < n && Date.now() < deadline)
    await new Promise((s) => setTimeout(s, 5));
  expect(r.fe.groups.get("g")!.status().queued).toBe(n);
  r.mem.capacity = 100;
  return pending;
}

describe("ferry group: request batches", () => {
  it("sends at most the smallest declared batch per PUSH message", async () => {
    const r = await rig({ queue: { length: 100, wait: 5000 } });
    r.send(hello("a", "hello", 10_000, { batch: 8 }));
    r.send(hello("b", "hello", 10_000, { batch: 4 }));
    const pending = await queuedThenFlushed(r, 10);
    const reqs = await r.requests(10);
    expect(r.mem.messages.map((m) => m.length)).toEqual([4, 4, 2]);
    // The payloads of one message are ordinary requests, in order.
    expect(reqs.map((m) => m.path).sort()).toEqual(
      Array.from({ length: 10 }, (_, i) => `/${i}`).sort(),
    );
    r.sendBatch(
      "fe-test",
      reqs.map((m) => ok(m, m.path)),
    );
    await Promise.all(pending);
  });

  it("without a declared batch every message holds one request", async () => {
    const r = await rig({ queue: { length: 100, wait: 5000 } });
    r.send(hello("a", "hello", 10_000, { batch: 16 }));
    r.send(hello("b")); // no batch: 1
    const pending = await queuedThenFlushed(r, 5);
    const reqs = await r.requests(5);
    expect(r.mem.messages.map((m) => m.length)).toEqual([1, 1, 1, 1, 1]);
    for (const m of reqs) r.send(ok(m, "x"));
    await Promise.all(pending);
  });

  it("applies the payloads of one reply message in order; a bad one is dropped on its own", async () => {
    const r = await rig();
    r.send(hello("a"));
    const replies = [get(`${r.url}/1`), get(`${r.url}/2`), get(`${r.url}/3`)];
    const [one, two, three] = await r.requests(3);
    r.sendBatch("fe-test", [
      ok(one!, "one"),
      Buffer.from("not msgpack at all"),
      // Order matters: data before the head of `two` is a bad reply (502), then its head is late.
      { kind: "data", hid: "a", to: to(two!), data: Buffer.from("early") },
      ok(two!, "two"),
      ok(three!, "three"),
    ]);
    const [r1, r2, r3] = await Promise.all(replies);
    expect(r1).toMatchObject({ status: 200, body: "one" });
    expect(r2).toMatchObject({ status: 502 });
    expect(r2!.headers["x-ferry-error"]).toBe("FERRY_BAD_REPLY");
    expect(r3).toMatchObject({ status: 200, body: "three" });
    expect(r.fe.counters.malformedMessages).toBe(1);
    expect(r.fe.counters.badReplies).toBe(1);
  });

  it("drops a whole message of more than 1,024 payloads (ERR_FRAMES), and keeps serving", async () => {
    const r = await rig();
    r.send(hello("a"));
    const reply = get(`${r.url}/x`);
    const [req] = await r.requests(1);
    const head = encodeToFrontend(ok(req!, "too many"));
    r.sendBatch("fe-test", Array<Buffer>(Limits.maxBatch + 1).fill(head));
    expect(r.fe.counters.malformedMessages).toBe(1);
    r.sendBatch("fe-test", Array<Buffer>(Limits.maxBatch).fill(encodeToFrontend(ok(req!, "ok"))));
    expect(await reply).toMatchObject({ status: 200, body: "ok" });
    // The other 1,023 copies named a finished request.
    expect(r.fe.counters.repliesDropped).toBe(Limits.maxBatch - 1);
  });
});

describe("ferry group: reply fields", () => {
  async function statusLine(r: Rig, reason: string): Promise<string> {
    const pending = rawExchange(
      Number(new URL(r.url).port),
      "GET /r HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
      { idleMs: 2000 },
    );
    const reqs = await r.requests(r.mem.sent.length + 1);
    const m = reqs.at(-1)!;
    r.send({ ...ok(m, "b"), status: 404, reason });
    return (await pending).data.split("\r\n")[0]!;
  }

  it("uses a valid head.reason; an invalid one gets the standard phrase and is counted", async () => {
    const r = await rig();
    r.send(hello("a"));
    expect(await statusLine(r, "Nothing\there, sorry é")).toBe(
      "HTTP/1.1 404 Nothing\there, sorry é",
    );
    expect(await statusLine(r, "Split\r\nx-injected: 1")).toBe("HTTP/1.1 404 Not Found");
    expect(await statusLine(r, "snow ☃")).toBe("HTTP/1.1 404 Not Found");
    expect(r.fe.counters.badReplyFields).toBe(2);
    expect(r.fe.counters.badReplies).toBe(0);
  });

  it("never sends error.message to the client, only its code", async () => {
    const r = await rig();
    r.send(hello("a"));
    const reply = get(`${r.url}/x`);
    const [req] = await r.requests(1);
    r.send({
      kind: "error",
      hid: "a",
      to: to(req!),
      code: "NOT_FOUND",
      message: "Traceback: secret-db-password=hunter2",
    });
    const res = await reply;
    expect(res.status).toBe(404);
    expect(res.headers["x-ferry-error"]).toBe("NOT_FOUND");
    expect(res.body).toContain("NOT_FOUND");
    expect(res.body).not.toContain("hunter2");
    expect(res.body).not.toContain("Traceback");
  });
});
