/**
 * The Ferry group's rules with the in-memory transport (no ZeroMQ): claims, loser cancels,
 * addressing, the bounded wait queue, loss and re-send, disconnect events.
 */
import { afterEach, describe, expect, it } from "vitest";
import { get } from "../../integration/frontend/harness.js";
import { rawExchange } from "../../integration/frontend/raw.js";
import { answer, hello, rig, stopRigs } from "./group-rig.js";

afterEach(stopRigs);

describe("ferry group", () => {
  it("first claim wins; the loser's reply is dropped and it gets cancel", async () => {
    const r = await rig();
    r.send(hello("a"));
    r.send(hello("b"));
    const reply = get(`${r.url}/x`);
    const [req] = await r.requests(1);
    r.send({ kind: "claim", hid: "a", conn: req!.conn, req: req!.req, token: req!.token });
    r.send(answer("b", req!, "from-b"));
    r.send(answer("a", req!, "from-a"));
    expect((await reply).body).toBe("from-a");
    expect(r.events()).toContainEqual(
      expect.objectContaining({
        kind: "cancel",
        topic: "b",
        reason: "claimed-elsewhere",
        req: req!.req,
      }),
    );
    expect(r.fe.counters.repliesFromLoser).toBe(1);
  });

  it("drops replies whose [conn, req] do not name a live exchange", async () => {
    const r = await rig();
    r.send(hello("a"));
    const reply = get(`${r.url}/x`);
    const [req] = await r.requests(1);
    r.send({
      kind: "head",
      hid: "a",
      to: [[req!.conn + 1, req!.req, req!.token]],
      status: 200,
      headers: [],
      body: Buffer.from("wrong"),
      end: true,
    });
    r.send({
      kind: "head",
      hid: "a",
      to: [[req!.conn, req!.req + 1, req!.token]],
      status: 200,
      headers: [],
      body: Buffer.from("wrong"),
      end: true,
    });
    r.send({
      kind: "head",
      hid: "a",
      to: [[req!.conn, req!.req, req!.token]],
      status: 201,
      headers: [],
      body: Buffer.from("right"),
      end: true,
    });
    r.send({
      kind: "data",
      hid: "a",
      to: [[req!.conn, req!.req, req!.token]],
      data: Buffer.from("late"),
    });
    expect(await reply).toMatchObject({ status: 201, body: "right" });
    expect(r.fe.counters.repliesDropped).toBe(3);
  });

  it("queues when handlers are full, answers 503 past the queue, sends when room appears", async () => {
    const r = await rig({ queue: { length: 1, wait: 2000 } });
    r.mem.capacity = 0;
    r.send(hello("a"));
    const first = get(`${r.url}/1`);
    const second = await get(`${r.url}/2`);
    expect(second.status).toBe(503);
    expect(second.headers["x-ferry-error"]).toBe("FERRY_QUEUE_FULL");
    r.mem.capacity = 10;
    const [req] = await r.requests(1);
    expect(req!.path).toBe("/1");
    r.send(answer("a", req!, "ok"));
    expect((await first).body).toBe("ok");
  });

  it("answers 503 when a request waits longer than queue.wait", async () => {
    const r = await rig({ queue: { length: 4, wait: 50 } });
    r.mem.capacity = 0;
    r.send(hello("a"));
    const res = await get(`${r.url}/slow`);
    expect(res.status).toBe(503);
    expect(res.headers["x-ferry-error"]).toBe("FERRY_QUEUE_FULL");
  });

  it("on handler loss: re-sends unclaimed idempotent requests, 502 for claimed POSTs", async () => {
    const r = await rig({ timeout: 5000 });
    // b announces a long interval, so a stall of this process on a loaded machine cannot make it
    // look lost; a goes silent after its hello and is lost after 2 x 100 ms.
    r.send(hello("b", "hello", 60_000));
    r.send(hello("a", "hello", 100));
    const post = get(`${r.url}/post`, { method: "POST", body: "x" });
    const getReq = get(`${r.url}/get`);
    const reqs = await r.requests(2);
    const p = reqs.find((m) => m.method === "POST")!;
    r.send({ kind: "claim", hid: "a", conn: p.conn, req: p.req, token: p.token });
    const res = await post;
    expect(res.status).toBe(502);
    expect(res.headers["x-ferry-error"]).toBe("FERRY_HANDLER_LOST");
    const all = await r.requests(3);
    const resent = all[2]!;
    expect(resent).toMatchObject({ method: "GET", path: "/get", attempt: 1 });
    r.send(answer("b", resent, "b"));
    expect((await getReq).body).toBe("b");
  });

  it("tells the claiming handler when its client disconnects", async () => {
    const r = await rig();
    r.send(hello("a"));
    const pending = rawExchange(
      Number(new URL(r.url).port),
      "GET /hold HTTP/1.1\r\nHost: x\r\n\r\n",
      { idleMs: 100 },
    );
    const [req] = await r.requests(1);
    r.send({ kind: "claim", hid: "a", conn: req!.conn, req: req!.req, token: req!.token });
    await pending; // the raw client gives up and closes
    const deadline = Date.now() + 2000;
    while (!r.events().some((e) => e.kind === "disconnect") && Date.now() < deadline)
      await new Promise((res) => setTimeout(res, 5));
    expect(r.events()).toContainEqual(
      expect.objectContaining({
        kind: "disconnect",
        topic: "a",
        conn: req!.conn,
        req: req!.req,
      }),
    );
  });

  it("answers one message to many connections", async () => {
    const r = await rig();
    r.send(hello("a"));
    const replies = [get(`${r.url}/1`), get(`${r.url}/2`), get(`${r.url}/3`)];
    const reqs = await r.requests(3);
    r.send(answer("a", reqs, "all"));
    for (const res of await Promise.all(replies)) expect(res.body).toBe("all");
  });

  it("refuses a head Node cannot write with 502 FERRY_BAD_REPLY", async () => {
    const r = await rig();
    r.send(hello("a"));
    const reply = get(`${r.url}/x`);
    const [req] = await r.requests(1);
    r.send({
      kind: "head",
      hid: "a",
      to: [[req!.conn, req!.req, req!.token]],
      status: 200,
      headers: [["bad header", "x"]],
      end: true,
    });
    expect((await reply).headers["x-ferry-error"]).toBe("FERRY_BAD_REPLY");
  });

  it("answers 408 to a client that does not finish its head within limits.headerTimeout", async () => {
    const r = await rig({}, { limits: { headerTimeout: 200 } });
    const started = Date.now();
    const res = await rawExchange(Number(new URL(r.url).port), "GET / HTTP/1.1\r\nHost: x\r\n", {
      idleMs: 3000,
    });
    expect(res.data).toMatch(/^HTTP\/1\.1 408/);
    expect(Date.now() - started).toBeLessThan(2000);
  });
});
