/**
 * Protocol v2's rules about who may say what, with the in-memory transport: a hid is bound to its
 * secret, every message about a request quotes its token, the group's handlers are bounded, and
 * a v1 handler is told to upgrade (once a minute, not once per message).
 */
import { Packr } from "msgpackr";
import WebSocket from "ws";
import { afterEach, describe, expect, it } from "vitest";
import { Limits } from "../../../protocol/index.js";
import { get } from "../../integration/frontend/harness.js";
import { answer, goodbye, hello, rig, secretOf, stopRigs, type Rig } from "./group-rig.js";

afterEach(stopRigs);

const plain = new Packr({ useRecords: false, variableMapSize: true });

/** Every `event` the frontend emitted from now on. */
function record(r: Rig, event: string): object[] {
  const seen: object[] = [];
  r.fe.on(event, (info: object) => seen.push(info));
  return seen;
}

const status = (r: Rig) => r.fe.groups.get("g")!.status();

describe("ferry group: handler secrets", () => {
  it("drops a hello, heartbeat or goodbye naming a known hid with another secret; the group stays up", async () => {
    const r = await rig();
    const warnings = record(r, "handler-warning");
    r.send(hello("a"));
    const other = secretOf("mallory");
    r.send(hello("a", "heartbeat", 100, { secret: other, capacity: 1 }));
    r.send(hello("a", "hello", 100, { secret: other }));
    r.send(goodbye("a", other));
    expect(r.fe.counters.handlerSpoofed).toBe(3);
    // One warning line for the three (the others are held back and counted).
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ group: "g", hid: "a" });
    expect(status(r).live).toBe(1);
    // Still live and not draining: a request goes to it and its reply reaches the client.
    const reply = get(`${r.url}/x`);
    const [req] = await r.requests(1);
    r.send(answer("a", req!, "still here"));
    expect(await reply).toMatchObject({ status: 200, body: "still here" });
  });

  it("a goodbye with the right secret drains the handler; its next hello takes it back", async () => {
    const r = await rig();
    r.send(hello("a"));
    r.send(goodbye("a"));
    expect(status(r).live).toBe(0);
    expect((await get(`${r.url}/x`)).status).toBe(503);
    // Heartbeats after goodbye keep it alive (finishing its work) but do not undo the drain.
    r.send(hello("a", "heartbeat"));
    expect(status(r).live).toBe(0);
    r.send(hello("a"));
    expect(status(r).live).toBe(1);
    const reply = get(`${r.url}/y`);
    const [req] = await r.requests(1);
    expect(req!.path).toBe("/y");
    r.send({ kind: "end", hid: "a", to: [[req!.conn, req!.req, req!.token]] });
    r.send({
      kind: "head",
      hid: "a",
      to: [[req!.conn, req!.req, req!.token]],
      status: 204,
      headers: [],
      end: true,
    });
    // `end` before `head` is a bad reply (502), whatever follows.
    expect((await reply).headers["x-ferry-error"]).toBe("FERRY_BAD_REPLY");
    expect(r.fe.counters.badReplies).toBe(1);
  });

  it("a handler that said goodbye and went quiet with nothing to finish has left (not lost)", async () => {
    // The group's own interval (40 ms x 2 misses) applies: the hello names none.
    const r = await rig();
    const left = record(r, "handler-left");
    const lost = record(r, "handler-lost");
    r.send(hello("a", "hello", null));
    r.send(goodbye("a"));
    const deadline = Date.now() + 3000;
    while (left.length === 0 && Date.now() < deadline) await new Promise((s) => setTimeout(s, 10));
    expect(left).toEqual([expect.objectContaining({ hid: "a", reason: "left" })]);
    expect(lost).toEqual([]);
    expect(r.fe.counters.handlersLost).toBe(0);
  });
});

describe("ferry group: request tokens", () => {
  it("drops guessed [conn, req] with a wrong token: nothing reaches any client", async () => {
    const r = await rig();
    r.send(hello("a"));
    r.send(hello("b"));
    const first = get(`${r.url}/1`);
    const second = get(`${r.url}/2`);
    const [one, two] = await r.requests(2);
    // b knows (or guesses) the ids but not the tokens: claim, credit and replies are dropped.
    r.send({ kind: "claim", hid: "b", conn: one!.conn, req: one!.req, token: one!.token + 1 });
    r.send({
      kind: "credit",
      hid: "b",
      conn: one!.conn,
      req: one!.req,
      token: 0,
      bytes: 10,
    });
    r.send({
      kind: "head",
      hid: "b",
      to: [
        [one!.conn, one!.req, two!.token],
        [two!.conn, two!.req, one!.token],
      ],
      status: 200,
      headers: [],
      body: Buffer.from("forged"),
      end: true,
    });
    r.send({
      kind: "error",
      hid: "b",
      to: [[two!.conn, two!.req, 12345]],
      code: "NOT_FOUND",
      message: "forged",
    });
    expect(r.fe.counters.badTokens).toBe(5);
    // Nobody claimed either request: a's replies win without a loser.
    const to = (m: typeof one) => [[m!.conn, m!.req, m!.token]] as [number, number, number][];
    for (const m of [one, two]) {
      r.send({
        kind: "head",
        hid: "a",
        to: to(m),
        status: 200,
        headers: [],
        body: Buffer.from(`real ${m!.path}`),
        end: true,
      });
    }
    expect(await first).toMatchObject({ status: 200, body: "real /1" });
    expect(await second).toMatchObject({ status: 200, body: "real /2" });
    expect(r.fe.counters.repliesFromLoser).toBe(0);
    expect(r.events().filter((e) => e.kind === "cancel")).toEqual([]);
  });

  it("a reply with one bad target still reaches its other targets", async () => {
    const r = await rig();
    r.send(hello("a"));
    const replies = [get(`${r.url}/1`), get(`${r.url}/2`)];
    const [one, two] = await r.requests(2);
    r.send({
      kind: "head",
      hid: "a",
      to: [
        [one!.conn, one!.req, (one!.token + 1) % 2 ** 53],
        [two!.conn, two!.req, two!.token],
      ],
      status: 200,
      headers: [],
      body: Buffer.from("two"),
      end: true,
    });
    expect(await replies[1]).toMatchObject({ status: 200, body: "two" });
    expect(r.fe.counters.badTokens).toBe(1);
    r.send(answer("a", one!, "one"));
    expect(await replies[0]).toMatchObject({ status: 200, body: "one" });
  });

  it("tokens are random per request, within 0 .. 2^53-1, and kept on a re-send", async () => {
    const r = await rig({ timeout: 5000 });
    // Room for all 20 at once (the frontend sends no more than the handlers' summed capacity).
    r.send(hello("b", "hello", 60_000, { capacity: 10 }));
    r.send(hello("a", "hello", 60_000, { capacity: 10 }));
    const pending = Array.from({ length: 20 }, (_, i) => get(`${r.url}/${i}`));
    const reqs = await r.requests(20);
    const tokens = reqs.map((m) => m.token);
    expect(new Set(tokens).size).toBe(20);
    for (const t of tokens) expect(Number.isSafeInteger(t) && t >= 0).toBe(true);
    // Random bits, not a counter: most tokens are past 2^32.
    expect(tokens.filter((t) => t > 2 ** 32).length).toBeGreaterThan(10);
    // A requests-socket peer drops: the unclaimed ones go out again with the same token.
    r.mem.disconnectPeer();
    const again = await r.requests(40);
    const resent = again.slice(20);
    expect(resent.map((m) => m.attempt)).toEqual(Array(20).fill(1));
    expect(resent.map((m) => m.token).sort()).toEqual([...tokens].sort());
    for (const m of again.slice(0, 20))
      r.send({ kind: "end", hid: "a", to: [[m.conn, m.req, m.token]] });
    await Promise.all(pending);
  });

  it("a message for an open WebSocket needs its upgrade request's token", async () => {
    const r = await rig();
    r.send(hello("a"));
    const ws = new WebSocket(`${r.url.replace("http:", "ws:")}/chat`);
    const received: string[] = [];
    ws.on("message", (data: Buffer) => received.push(data.toString()));
    const [up] = await r.requests(1);
    expect(up!.upgrade).toBe("websocket");
    r.send({
      kind: "head",
      hid: "a",
      to: [[up!.conn, up!.req, up!.token]],
      status: 101,
      headers: [],
    });
    await new Promise((resolve, reject) => ws.once("open", resolve).once("error", reject));
    const say = (text: string, token: number) =>
      r.send({
        kind: "ws",
        hid: "a",
        to: [[up!.conn, up!.req, token]],
        data: Buffer.from(text),
        binary: false,
      });
    say("forged", up!.token + 1);
    r.send({ kind: "close", hid: "a", to: [[up!.conn, up!.req, 7]], code: 1000 });
    say("real", up!.token);
    const deadline = Date.now() + 3000;
    while (received.length === 0 && Date.now() < deadline)
      await new Promise((s) => setTimeout(s, 5));
    expect(received).toEqual(["real"]);
    expect(ws.readyState).toBe(WebSocket.OPEN);
    expect(r.fe.counters.badTokens).toBe(2);
    ws.close();
  });
});

describe("ferry group: bounds", () => {
  it("a hello flood past maxHandlers is bounded; handlers already known are unaffected", async () => {
    const r = await rig({ maxHandlers: 3 });
    const warnings = record(r, "handler-warning");
    for (let i = 0; i < 50; i++) r.send(hello(`h${i}`));
    expect(status(r).live).toBe(3);
    expect(r.fe.counters.handlersRefused).toBe(47);
    expect(warnings).toHaveLength(1);
    r.send(hello("h0", "heartbeat"));
    expect(r.fe.counters.handlersRefused).toBe(47);
  });

  it("rejects an interval of 2^53-1 ms, capacity 0 and batch 0 (the handler never becomes live)", async () => {
    const r = await rig();
    const base = { v: 2, kind: "hello", hid: "x", secret: secretOf("x"), capacity: 8, inflight: 0 };
    for (const bad of [
      { ...base, interval: Number.MAX_SAFE_INTEGER },
      { ...base, interval: 99 },
      { ...base, capacity: 0 },
      { ...base, batch: 0 },
      { ...base, batch: Limits.maxBatch + 1 },
      { ...base, secret: Buffer.alloc(15) },
    ]) {
      r.sendBatch("*", [plain.pack(bad)]);
    }
    expect(r.fe.counters.malformedMessages).toBe(6);
    expect(status(r).live).toBe(0);
    expect((await get(`${r.url}/x`)).status).toBe(503);
  });

  it("a v1 handler's messages are dropped, and it is told to upgrade once (not per message)", async () => {
    const r = await rig();
    const warnings = record(r, "handler-warning");
    const v1hello = plain.pack({ v: 1, kind: "hello", hid: "old-1", capacity: 8, inflight: 0 });
    for (let i = 0; i < 5; i++) r.sendBatch("*", [v1hello]);
    expect(r.fe.counters.malformedMessages).toBe(5);
    expect(status(r).live).toBe(0);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ hid: "old-1", code: "ERR_VERSION" });
    expect((warnings[0] as { message: string }).message).toBe(
      "handler old-1 speaks Ferry protocol v1; this frontend speaks v2 (needs secret, token, v:2): upgrade the handler",
    );
  });
});
