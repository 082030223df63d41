/**
 * Streamed request bodies and response windows in the Ferry group, with the in-memory
 * transport: what the frontend sends a handler, and when, under the handler's credit.
 */
import { request } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import type { BodyMsg, CreditEventMsg, ToHandlerMsg } from "../../../protocol/index.js";
import { get } from "../../integration/frontend/harness.js";
import { answer, credit, hello, rig, stopRigs, type Rig } from "./group-rig.js";

afterEach(stopRigs);

type Published = ToHandlerMsg & { topic: string };

async function until<T>(what: string, probe: () => T | undefined, ms = 5000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

const bodies = (r: Rig): (BodyMsg & { topic: string })[] =>
  (r.events() as Published[]).filter((e): e is BodyMsg & { topic: string } => e.kind === "body");
const bodyBytes = (r: Rig): number => bodies(r).reduce((n, b) => n + b.data.length, 0);

/** Lets queued socket reads and publishes happen, so a frontend that overshoots would show it. */
const settle = () => new Promise((r) => setTimeout(r, 50));

describe("streamed request bodies", () => {
  it("announces the body, sends nothing before claim and credit, never more than granted", async () => {
    const r = await rig({ inlineBodyLimit: 1024 });
    r.send(hello("a"));
    const payload = Buffer.alloc(10_000, 7);
    const reply = get(`${r.url}/up`, { method: "POST", body: payload });
    const [req] = await r.requests(1);
    expect(req).toMatchObject({ stream: true, length: 10_000, window: 256 * 1024 });
    expect(req!.body).toBeUndefined();
    await settle();
    expect(bodies(r)).toEqual([]);
    r.send({ kind: "claim", hid: "a", conn: req!.conn, req: req!.req, token: req!.token });
    await settle();
    expect(bodies(r)).toEqual([]);
    r.send(credit("a", req!, 3000));
    await until("3000 bytes", () => (bodyBytes(r) === 3000 ? true : undefined));
    await settle();
    expect(bodyBytes(r)).toBe(3000);
    expect(bodies(r).every((b) => b.topic === "a" && !b.end)).toBe(true);
    r.send(credit("a", req!, 1 << 20));
    await until("the end", () => (bodies(r).some((b) => b.end) ? true : undefined));
    expect(Buffer.concat(bodies(r).map((b) => b.data))).toEqual(payload);
    r.send(answer("a", req!, "got it"));
    expect((await reply).body).toBe("got it");
  });

  it("drops credit from a handler that did not claim, and cancels it", async () => {
    const r = await rig({ inlineBodyLimit: 1024 });
    r.send(hello("a"));
    r.send(hello("b"));
    void get(`${r.url}/up`, { method: "POST", body: Buffer.alloc(5000) }).catch(() => {});
    const [req] = await r.requests(1);
    r.send({ kind: "claim", hid: "a", conn: req!.conn, req: req!.req, token: req!.token });
    r.send(credit("b", req!, 5000));
    await settle();
    expect(bodies(r)).toEqual([]);
    expect(r.events()).toContainEqual(
      expect.objectContaining({ kind: "cancel", topic: "b", reason: "claimed-elsewhere" }),
    );
  });

  it("answers 502 when the handler that got part of a body is lost (it cannot be re-sent)", async () => {
    const r = await rig({ inlineBodyLimit: 1024, timeout: 5000 });
    r.send(hello("a", "hello", null));
    const beat = setInterval(() => r.send(hello("b", "heartbeat", null)), 10);
    try {
      r.send(hello("b", "hello", null));
      const reply = get(`${r.url}/up`, { method: "PUT", body: Buffer.alloc(5000) });
      const [req] = await r.requests(1);
      r.send({ kind: "claim", hid: "a", conn: req!.conn, req: req!.req, token: req!.token });
      r.send(credit("a", req!, 100));
      // a goes silent; PUT is idempotent, but 100 bytes already went to a.
      const res = await reply;
      expect(res.status).toBe(502);
      expect(res.headers["x-ferry-error"]).toBe("FERRY_HANDLER_LOST");
    } finally {
      clearInterval(beat);
    }
  });

  it("re-sends an idempotent streamed request whose lost handler got none of the body", async () => {
    const r = await rig({ inlineBodyLimit: 1024, timeout: 5000 });
    r.send(hello("a", "hello", null));
    const beat = setInterval(() => r.send(hello("b", "heartbeat", null)), 10);
    try {
      r.send(hello("b", "hello", null));
      const reply = get(`${r.url}/up`, { method: "PUT", body: Buffer.alloc(5000, 1) });
      const [first] = await r.requests(1);
      r.send({ kind: "claim", hid: "a", conn: first!.conn, req: first!.req, token: first!.token });
      const all = await r.requests(2);
      const again = all[1]!;
      expect(again).toMatchObject({ req: first!.req, attempt: 1, stream: true });
      r.send({ kind: "claim", hid: "b", conn: again.conn, req: again.req, token: again.token });
      r.send(credit("b", again, 1 << 20));
      await until("the end", () => (bodies(r).some((b) => b.end) ? true : undefined));
      expect(bodies(r).every((b) => b.topic === "b")).toBe(true);
      expect(bodyBytes(r)).toBe(5000);
      r.send({
        kind: "head",
        hid: "b",
        to: [[again.conn, again.req, again.token]],
        status: 201,
        headers: [],
        end: true,
      });
      expect((await reply).status).toBe(201);
    } finally {
      clearInterval(beat);
    }
  });

  it("answers 413 when a chunked body crosses limits.bodyBytes mid-stream, and cancels the handler", async () => {
    const r = await rig({ inlineBodyLimit: 1024 }, { limits: { bodyBytes: 4096 } });
    r.send(hello("a"));
    let status = 0;
    let code: string | undefined;
    const answered = new Promise<void>((resolve) => {
      const client = request(
        `${r.url}/up`,
        { method: "POST", headers: { "transfer-encoding": "chunked" }, agent: false },
        (res) => {
          status = res.statusCode ?? 0;
          code = res.headers["x-ferry-error"] as string | undefined;
          res.resume();
          res.on("end", resolve);
        },
      );
      client.on("error", () => resolve());
      client.write(Buffer.alloc(2000)); // past the inline limit: streamed
      void r.requests(1).then(([req]) => {
        r.send({ kind: "claim", hid: "a", conn: req!.conn, req: req!.req, token: req!.token });
        r.send(credit("a", req!, 1 << 20));
        client.write(Buffer.alloc(3000)); // 5000 in all: past limits.bodyBytes
      });
    });
    const [req] = await r.requests(1);
    expect(req).toMatchObject({ stream: true });
    expect(req!.length).toBeUndefined();
    await answered;
    expect(status).toBe(413);
    expect(code).toBe("FERRY_BODY_TOO_LARGE");
    expect(r.events()).toContainEqual(
      expect.objectContaining({ kind: "cancel", topic: "a", req: req!.req }),
    );
    expect(bodyBytes(r)).toBeLessThanOrEqual(4096);
  });
});

describe("response windows", () => {
  it("credits the handler as the client reads what it sent", async () => {
    const r = await rig({ responseWindow: 64 * 1024 });
    r.send(hello("a"));
    const reply = get(`${r.url}/down`);
    const [req] = await r.requests(1);
    expect(req!.window).toBe(64 * 1024);
    const to: [number, number, number][] = [[req!.conn, req!.req, req!.token]];
    r.send({
      kind: "head",
      hid: "a",
      to,
      status: 200,
      headers: [],
      body: Buffer.alloc(32 * 1024, 97),
    });
    r.send({ kind: "data", hid: "a", to, data: Buffer.alloc(32 * 1024, 98) });
    const credited = () =>
      (r.events() as Published[])
        .filter((e): e is CreditEventMsg & { topic: string } => e.kind === "credit")
        .reduce((n, c) => n + c.bytes, 0);
    await until("64 KiB of credit", () => (credited() === 64 * 1024 ? true : undefined));
    r.send({ kind: "data", hid: "a", to, data: Buffer.from("end"), end: true });
    expect((await reply).body.length).toBe(64 * 1024 + 3);
  });

  it("sends no window when responseWindow is 0", async () => {
    const r = await rig({ responseWindow: 0 });
    r.send(hello("a"));
    void get(`${r.url}/down`).catch(() => {});
    const [req] = await r.requests(1);
    expect(req!.window).toBeUndefined();
  });
});
