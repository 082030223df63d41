/**
 * What protocol v2 asks of the SDK, over the in-memory transport: a secret in every hello,
 * heartbeat and goodbye; `batch` declared; batches of requests taken in order within the
 * concurrency limit; every reply, claim and credit quoting the request's token; the request's
 * port and the app's reason phrase; frontends of another version reported, rate-limited; and a
 * Replier (in any process) addressing requests by [conn, req, token].
 */
import { describe, expect, it } from "vitest";
import {
  decodeToFrontend,
  Limits,
  type HeadMsg,
  type HelloMsg,
  type ToFrontendMsg,
} from "../../../protocol/index.js";
import {
  Exchange,
  HandlerConnection,
  MemoryTransport,
  Replier,
  type HandlerContext,
  type Publisher,
  type ReplyAddress,
  type VersionMismatch,
} from "../../../handler/index.js";
import { HandlerError } from "../../../handler/errors.js";
import { FID, Harness, harnessMaker, targetOf, tokenFor } from "./harness.js";

const harness = harnessMaker();
const tick = () => new Promise((r) => setImmediate(r));

type OfKind<K> =
  Extract<ToFrontendMsg, { kind: K }> extends never
    ? HelloMsg
    : Extract<ToFrontendMsg, { kind: K }>;

function ofKind<K extends ToFrontendMsg["kind"]>(msgs: ToFrontendMsg[], kind: K): Array<OfKind<K>> {
  return msgs.filter((m) => m.kind === kind) as Array<OfKind<K>>;
}

describe("handler identity", () => {
  it("sends the same 32-byte secret in every hello, heartbeat and goodbye, under *", async () => {
    const h = harness({ fetch: () => new Response("x") }, { heartbeatMs: 100 });
    await h.transport.waitFor(() => h.messages.some((m) => m.kind === "heartbeat"));
    h.transport.peer("front-2");
    await h.connection.drain({ timeoutMs: 100 });
    const said = h.messages.filter((m) => "secret" in m);
    expect(said.map((m) => m.kind)).toEqual(
      expect.arrayContaining(["hello", "heartbeat", "goodbye"]),
    );
    const secrets = said.map((m) =>
      Buffer.from((m as { secret: Uint8Array }).secret).toString("hex"),
    );
    expect(new Set(secrets).size).toBe(1);
    expect(secrets[0]).toHaveLength(64);
    for (const p of h.transport.published) {
      if ("secret" in decodeToFrontend(p.payload)) expect(p.topic).toBe("*");
    }
  });

  it("greets a frontend that subscribes while it drains with a heartbeat, never a hello", async () => {
    let release!: () => void;
    const h = harness({
      fetch: () => new Promise<Response>((r) => (release = () => r(new Response("done")))),
    });
    const req = h.request("GET", "/");
    const drained = h.connection.drain();
    await tick();
    const before = h.messages.length;
    h.transport.peer("front-2"); // a hello would tell the frontends it takes new work again
    const greeting = h.messages.slice(before);
    expect(greeting.map((m) => m.kind)).toEqual(["heartbeat"]);
    release();
    await drained;
    expect(h.body(h.about(req))).toBe("done");
  });

  it("has a secret of its own in each connection (process)", () => {
    const a = harness({ fetch: () => new Response("x") });
    const b = harness({ fetch: () => new Response("x") });
    const secretOf = (h: typeof a) =>
      Buffer.from(ofKind(h.messages, "hello")[0]!.secret).toString("hex");
    expect(secretOf(a)).not.toBe(secretOf(b));
  });

  it("never puts the secret in a message under a frontend's topic", async () => {
    const h = harness({ fetch: () => new Response("x") });
    await h.done(h.request("GET", "/"));
    for (const p of h.transport.published.filter((x) => x.topic === FID))
      expect(Buffer.from(p.payload).includes(Buffer.from("secret"))).toBe(false);
  });

  it("declares batch: the concurrency, at most 1,024, or as given", () => {
    const hello = (options: object) =>
      ofKind(harness({ fetch: () => new Response("x") }, options).messages, "hello")[0]!;
    expect(hello({ concurrency: 8 })).toMatchObject({ capacity: 8, batch: 8 });
    expect(hello({ concurrency: 5000 })).toMatchObject({ capacity: 5000, batch: Limits.maxBatch });
    expect(hello({ concurrency: 8, batch: 1 })).toMatchObject({ capacity: 8, batch: 1 });
  });

  it("declares the prefetch beyond the concurrency, and runs prefetched requests in order as slots free", async () => {
    const started: string[] = [];
    const releases: Array<() => void> = [];
    const h = harness(
      {
        fetch: (r: Request) => {
          started.push(new URL(r.url).pathname);
          return new Promise<Response>((done) => releases.push(() => done(new Response("ok"))));
        },
      },
      { concurrency: 1, prefetch: 2 },
    );
    expect(ofKind(h.messages, "hello")[0]).toMatchObject({ capacity: 3, batch: 3 });
    const reqs = ["/a", "/b", "/c"].map((p) => h.request("GET", p));
    await tick();
    expect(started).toEqual(["/a"]);
    releases.shift()!();
    await h.done(reqs[0]!);
    await tick();
    expect(started).toEqual(["/a", "/b"]);
    releases.shift()!();
    await h.done(reqs[1]!);
    await tick();
    expect(started).toEqual(["/a", "/b", "/c"]);
    releases.shift()!();
    await h.done(reqs[2]!);
  });

  it("refuses options the protocol cannot carry", () => {
    const transport = new MemoryTransport();
    for (const options of [
      { concurrency: 0 },
      { concurrency: 65_537 },
      { heartbeatMs: 99 },
      { heartbeatMs: 60_001 },
      { batch: 1025 },
      { prefetch: -1 },
      { concurrency: 65_000, prefetch: 537 },
    ]) {
      let caught: unknown;
      try {
        new HandlerConnection({ transport, ...options });
      } catch (err) {
        caught = err;
      }
      expect(caught, JSON.stringify(options)).toBeInstanceOf(HandlerError);
      expect((caught as HandlerError).code).toBe("ERR_OPTIONS");
    }
  });
});

describe("tokens", () => {
  it("quotes the request's token in claim, credit and every reply", async () => {
    let ctx!: HandlerContext;
    const h = harness({
      fetch: async (r: Request, c: HandlerContext) => {
        ctx = c;
        const body = await r.text(); // streamed: credit goes out
        await new Promise((res) => setTimeout(res, 30)); // slow: claim goes out first
        return new Response(`got ${body}`);
      },
    });
    const req = h.request("POST", "/up", { stream: true, length: 2 });
    await h.transport.waitFor(() => h.messages.some((m) => m.kind === "credit"));
    h.event({ kind: "body", fid: FID, conn: req, req, data: Buffer.from("hi"), end: true });
    const msgs = await h.done(req);
    expect(ctx.address.token).toBe(tokenFor(req));
    const claim = ofKind(h.messages, "claim")[0]!;
    const credit = ofKind(h.messages, "credit")[0]!;
    expect([claim.conn, claim.req, claim.token]).toEqual(targetOf(req));
    expect([credit.conn, credit.req, credit.token]).toEqual(targetOf(req));
    for (const m of msgs) if ("to" in m) expect(m.to).toEqual([targetOf(req)]);
    expect(h.body(msgs)).toBe("got hi");
  });

  it("quotes it in error and close replies too", async () => {
    const h = harness({
      fetch: (_r: Request, ctx: HandlerContext) => {
        if (ctx.requestId === 1) throw new Error("boom");
        ctx.exchange.close();
        return ctx.defer();
      },
    });
    const errors: unknown[] = [];
    h.connection.on("appError", (e) => errors.push(e));
    const [a, b] = [h.request("GET", "/a"), h.request("GET", "/b")];
    const [ma, mb] = [await h.done(a), await h.done(b)];
    expect(ma.at(-1)).toMatchObject({ kind: "error", to: [targetOf(a)] });
    expect(mb.at(-1)).toMatchObject({ kind: "close", to: [targetOf(b)] });
  });
});

describe("batches of requests", () => {
  it("answers every request of one message, each with its token", async () => {
    const h = harness({ fetch: (r: Request) => new Response(new URL(r.url).pathname) });
    const reqs = h.batch(
      ...Array.from({ length: 50 }, (_, i): [string, string] => ["GET", `/${i}`]),
    );
    for (const [i, req] of reqs.entries()) {
      const msgs = await h.done(req);
      expect(h.body(msgs)).toBe(`/${i}`);
      expect(msgs.at(-1)).toMatchObject({ to: [targetOf(req)] });
    }
  });

  it("works on at most `concurrency` of a batch at once; the rest wait, in order", async () => {
    const started: string[] = [];
    const release: Array<() => void> = [];
    const h = harness(
      {
        fetch: (r: Request) =>
          new Promise<Response>((res) => {
            started.push(new URL(r.url).pathname);
            release.push(() => res(new Response("ok")));
          }),
      },
      { concurrency: 2 },
    );
    const reqs = h.batch(["GET", "/a"], ["GET", "/b"], ["GET", "/c"], ["GET", "/d"], ["GET", "/e"]);
    await tick();
    expect(started).toEqual(["/a", "/b"]);
    expect(h.connection.inflight).toBe(5); // held: 2 worked on, 3 waiting
    expect(h.transport.paused).toBe(true);
    release.shift()!();
    await h.done(reqs[0]!);
    await tick();
    expect(started).toEqual(["/a", "/b", "/c"]);
    while (started.length < 5 || release.length > 0) {
      release.shift()?.();
      await tick();
    }
    for (const req of reqs) expect(h.body(await h.done(req))).toBe("ok");
    expect(h.connection.inflight).toBe(0);
    expect(h.transport.paused).toBe(false);
  });

  it("starts the waiting requests of a batch also when each one ends at once", async () => {
    const transport = new MemoryTransport();
    const c = new HandlerConnection({ transport, concurrency: 1 });
    const order: number[] = [];
    let first: Exchange | undefined;
    c.on("request", (ex) => {
      order.push(ex.req);
      if (ex.req === 1) first = ex;
      else ex.fail("NOT_FOUND", "none here"); // ends at once, inside the backlog's start
    });
    c.start();
    const maker = new Harness({ fetch: () => new Response("unused") });
    await maker.connection.close();
    transport.requests([1, 2, 3, 4].map((i) => maker.requestPayload("GET", `/${i}`)[1]));
    expect(order).toEqual([1]);
    expect(c.inflight).toBe(4);
    const drained = c.drain({ timeoutMs: 5000 });
    first!.fail("NOT_FOUND", "none here either");
    expect(order).toEqual([1, 2, 3, 4]);
    expect(c.inflight).toBe(0);
    await drained;
    const errors = transport.published
      .map((p) => decodeToFrontend(p.payload))
      .filter((m) => m.kind === "error");
    expect(errors.map((m) => ("to" in m ? m.to[0] : undefined))).toEqual(
      [1, 2, 3, 4].map(targetOf),
    );
  });

  it("drops an invalid request of a batch alone, and counts it", async () => {
    const seen: string[] = [];
    const h = harness({ fetch: (r: Request) => new Response(new URL(r.url).pathname) });
    h.connection.on("malformed", (_source, reason) => seen.push(reason));
    const [a, pa] = h.requestPayload("GET", "/a");
    const [b, pb] = h.requestPayload("GET", "/b");
    h.transport.requests([pa, Buffer.from([0xc1]), pb]);
    expect(h.body(await h.done(a))).toBe("/a");
    expect(h.body(await h.done(b))).toBe("/b");
    expect(h.connection.malformedCount).toBe(1);
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatch(/^ERR_DECODE/);
  });
});

describe("frontends of another version", () => {
  it("drops a v1 request with one warning a minute naming the frontend", async () => {
    const h = harness({ fetch: () => new Response("ok") });
    const warnings: VersionMismatch[] = [];
    const malformed: string[] = [];
    h.connection.on("versionMismatch", (w) => warnings.push(w));
    h.connection.on("malformed", (s) => malformed.push(s));
    const v1 = { v: 1, kind: "request", fid: "old-front", conn: 1, req: 1 };
    const { pack } = await import("msgpackr");
    for (let i = 0; i < 3; i++) h.transport.request(Buffer.from(pack(v1)));
    h.transport.event("*", Buffer.from(pack({ ...v1, kind: "cancel" })));
    expect(warnings).toEqual([
      {
        fid: "old-front",
        version: 1,
        held: 0,
        message:
          "frontend old-front speaks Ferry protocol v1; this handler speaks v2 " +
          "(needs token, port, v:2): upgrade the frontend",
      },
    ]);
    expect(malformed).toEqual([]);
    expect(h.connection.malformedCount).toBe(4);
    expect(h.body(await h.done(h.request("GET", "/")))).toBe("ok");
  });
});

describe("gateway fields", () => {
  it("exposes the request's port on the context", async () => {
    let port = 0;
    const h = harness({
      fetch: (_r: Request, ctx: HandlerContext) => ((port = ctx.port), new Response("x")),
    });
    await h.done(h.request("GET", "/", { port: 8443 }));
    expect(port).toBe(8443);
  });

  it("sends a reason phrase in the head after the status, when the app gives one", async () => {
    const h = harness({
      fetch: (_r: Request, ctx: HandlerContext) => {
        const path = ctx.message.path;
        if (path === "/custom") ctx.exchange.respond(200, [], "x", "Fine Indeed");
        else if (path === "/long") ctx.exchange.respond(200, [], "x", "é".repeat(300));
        else ctx.exchange.respond(200, [], "x");
        return ctx.defer();
      },
    });
    const [custom, long, plain] = [
      h.request("GET", "/custom"),
      h.request("GET", "/long"),
      h.request("GET", "/plain"),
    ];
    const head = async (req: number) => (await h.done(req))[0] as HeadMsg;
    expect((await head(custom)).reason).toBe("Fine Indeed");
    // 600 bytes: past the limit, left out (the frontend writes the standard phrase).
    expect((await head(long)).reason).toBeUndefined();
    expect((await head(plain)).reason).toBeUndefined();
    const payload = h.transport.published.find(
      (p) => decodeToFrontend(p.payload).kind === "head",
    )!.payload;
    const keys = Object.keys(decodeToFrontend(payload));
    expect(keys.slice(0, 6)).toEqual(["v", "kind", "hid", "to", "status", "reason"]);
  });
});

/** A Replier's socket as a list: what a frontend would receive from it. */
class MemoryPublisher implements Publisher {
  readonly sent: Array<{ topic: string; msg: ToFrontendMsg }> = [];
  publish(topic: string, payload: Buffer): void {
    this.sent.push({ topic, msg: decodeToFrontend(payload) });
  }
  subscribed(): Promise<void> {
    return Promise.resolve();
  }
  async close(): Promise<void> {}
}

describe("Replier", () => {
  it("answers from another process with the addresses' tokens, one message per claimer", async () => {
    const addresses: ReplyAddress[] = [];
    const h = harness({
      fetch: (_r: Request, ctx: HandlerContext) => (addresses.push(ctx.address), ctx.defer()),
    });
    const reqs = [h.request("GET", "/poll"), h.request("GET", "/poll")];
    await tick();
    // Another process: only the JSON of the addresses and a Replier of its own.
    const elsewhere = JSON.parse(JSON.stringify(addresses)) as ReplyAddress[];
    expect(elsewhere[0]).toEqual({
      fid: FID,
      hid: h.connection.hid,
      conn: reqs[0],
      req: reqs[0],
      token: tokenFor(reqs[0]!),
    });
    const publisher = new MemoryPublisher();
    const replier = new Replier({ publisher });
    await replier.reply(elsewhere, { status: 201, reason: "Made", body: "news" });
    expect(publisher.sent).toHaveLength(1);
    expect(publisher.sent[0]!.topic).toBe(FID);
    expect(publisher.sent[0]!.msg).toMatchObject({
      kind: "head",
      hid: h.connection.hid,
      to: reqs.map(targetOf),
      status: 201,
      reason: "Made",
      end: true,
    });
    // A second Replier (a third process) streams to the same requests.
    const publisher2 = new MemoryPublisher();
    const second = new Replier({ publisher: publisher2 });
    await second.write(elsewhere, "more", true);
    expect(publisher2.sent[0]!.msg).toMatchObject({ kind: "data", to: reqs.map(targetOf) });
  });

  it("refuses an address without a token (from protocol v1) with ERR_ADDRESS", async () => {
    const replier = new Replier({ publisher: new MemoryPublisher() });
    const v1 = { fid: FID, hid: "h-1", conn: 1, req: 1 } as unknown as ReplyAddress;
    await expect(replier.end(v1)).rejects.toMatchObject({ code: "ERR_ADDRESS" });
    await expect(replier.end({ ...v1, token: -1 })).rejects.toMatchObject({
      code: "ERR_ADDRESS",
    });
  });
});

describe("in-memory transport", () => {
  it("delivers a batch as a frontend message would: each request in order", () => {
    const t = new MemoryTransport();
    const got: string[] = [];
    t.start("h", {
      request: (p) => got.push(p.toString()),
      event: () => {},
      peer: () => {},
      malformed: () => {},
    });
    t.requests([Buffer.from("1"), Buffer.from("2")]);
    expect(got).toEqual(["1", "2"]);
  });
});
