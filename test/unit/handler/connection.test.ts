import { describe, expect, it } from "vitest";
import { encodeToFrontend } from "../../../protocol/index.js";
import type { HandlerContext } from "../../../handler/index.js";
import { FID, harnessMaker, targetOf } from "./harness.js";

const harness = harnessMaker();

const tick = () => new Promise((r) => setImmediate(r));

describe("HandlerConnection", () => {
  it("says hello on start, with capacity and its heartbeat interval", () => {
    const h = harness({ fetch: () => new Response("x") }, { concurrency: 7, heartbeatMs: 250 });
    expect(h.messages[0]).toMatchObject({
      kind: "hello",
      hid: h.connection.hid,
      capacity: 7,
      inflight: 0,
      interval: 250,
    });
    expect(h.transport.published[0]!.topic).toBe("*");
  });

  it("says hello again when a frontend subscribes", () => {
    const h = harness({ fetch: () => new Response("x") });
    h.transport.peer("front-2");
    expect(h.messages.filter((m) => m.kind === "hello")).toHaveLength(2);
  });

  it("answers a fast request with ONE head message under the frontend id", async () => {
    const h = harness({ fetch: () => new Response("hello") });
    const req = h.request("GET", "/");
    const msgs = await h.done(req);
    expect(msgs).toHaveLength(1);
    expect(msgs[0]).toMatchObject({
      kind: "head",
      status: 200,
      end: true,
      to: [targetOf(req)],
      hid: h.connection.hid,
    });
    expect(h.body(msgs)).toBe("hello");
    expect(h.transport.published.at(-1)!.topic).toBe(FID);
  });

  it("claims after ~10 ms when the app is slow", async () => {
    const h = harness({
      fetch: () => new Promise<Response>((r) => setTimeout(() => r(new Response("late")), 40)),
    });
    const req = h.request("GET", "/");
    await h.transport.waitFor(() => h.about(req).some((m) => m.kind === "claim"));
    const msgs = await h.done(req);
    expect(msgs.map((m) => m.kind)).toEqual(["claim", "head"]);
  });

  it("streams a Response body as data messages, then end", async () => {
    let push!: (s: string) => void;
    let close!: () => void;
    const body = new ReadableStream<Uint8Array>({
      start(c) {
        push = (s) => c.enqueue(new TextEncoder().encode(s));
        close = () => c.close();
      },
    });
    const h = harness({ fetch: () => new Response(body) });
    const req = h.request("GET", "/");
    push("a");
    await h.transport.waitFor(() => h.about(req).some((m) => m.kind === "head"));
    push("b");
    await tick();
    push("c");
    close();
    // A claim may come first when the first chunk takes over claimAfterMs (a loaded machine).
    const msgs = (await h.done(req)).filter((m) => m.kind !== "claim");
    expect(h.body(msgs)).toBe("abc");
    expect(msgs[0]).toMatchObject({ kind: "head" });
    expect(msgs[0]!.kind === "head" && msgs[0]!.end).toBeUndefined();
  });

  it("maps a thrown error to an error message", async () => {
    const errors: unknown[] = [];
    const h = harness({
      fetch: () => {
        throw new Error("boom");
      },
    });
    h.connection.on("appError", (e) => errors.push(e));
    const req = h.request("GET", "/");
    const msgs = await h.done(req);
    expect(msgs[0]).toMatchObject({ kind: "error", code: "APP_ERROR" });
    expect(errors).toHaveLength(1);
  });

  it("stops taking requests at the concurrency limit and resumes below it", async () => {
    const release: Array<() => void> = [];
    const h = harness(
      { fetch: () => new Promise<Response>((r) => release.push(() => r(new Response("ok")))) },
      { concurrency: 2 },
    );
    const reqs = [h.request("GET", "/1"), h.request("GET", "/2"), h.request("GET", "/3")];
    expect(h.transport.paused).toBe(true);
    expect(h.transport.backlogLength).toBe(1);
    expect(release).toHaveLength(2);
    release[0]!();
    await h.done(reqs[0]!);
    expect(h.transport.backlogLength).toBe(0);
    expect(release).toHaveLength(3);
    release[1]!();
    release[2]!();
    await h.done(reqs[2]!);
    expect(h.connection.inflight).toBe(0);
  });

  it("aborts request.signal on disconnect and on cancel", async () => {
    const reasons: string[] = [];
    const app = {
      fetch: (request: Request) =>
        new Promise<Response>((_r, reject) =>
          request.signal.addEventListener(
            "abort",
            () => (reasons.push(String(request.signal.reason)), reject(new Error("gone"))),
          ),
        ),
    };
    const h = harness(app);
    const a = h.request("GET", "/a");
    const b = h.request("GET", "/b");
    h.event({ kind: "disconnect", fid: FID, conn: a, req: a });
    h.event({ kind: "cancel", fid: FID, conn: b, req: b, reason: "timeout" });
    await tick();
    expect(reasons).toHaveLength(2);
    expect(h.connection.inflight).toBe(0);
    // Nothing is sent for an aborted request.
    expect(h.about(a).filter((m) => m.kind !== "claim")).toEqual([]);
  });

  it("ignores events for another handler's topic", async () => {
    let aborted = false;
    const h = harness({
      fetch: (r: Request) => (
        r.signal.addEventListener("abort", () => (aborted = true)),
        new Promise<Response>(() => {})
      ),
    });
    const a = h.request("GET", "/");
    h.event({ kind: "disconnect", fid: FID, conn: a, req: a }, "someone-else");
    await tick();
    expect(aborted).toBe(false);
  });

  it("defers: frees the slot, claims, and answers many at once by connection-level reply", async () => {
    const waiting: HandlerContext[] = [];
    const h = harness(
      { fetch: (_r: Request, ctx: HandlerContext) => (waiting.push(ctx), ctx.defer()) },
      { concurrency: 1 },
    );
    const reqs = [h.request("GET", "/poll"), h.request("GET", "/poll"), h.request("GET", "/poll")];
    await tick();
    expect(waiting).toHaveLength(3);
    expect(h.connection.inflight).toBe(0);
    expect(h.connection.deferredRequests).toBe(3);
    expect(h.messages.filter((m) => m.kind === "claim")).toHaveLength(3);
    // The frontend counts deferred requests against the declared capacity: it grows with them
    // (the concurrency + twice the deferred), and a heartbeat says so at once.
    await new Promise((r) => setImmediate(r));
    const beat = h.messages.filter((m) => m.kind === "heartbeat").at(-1);
    expect(beat?.kind === "heartbeat" ? beat.capacity : undefined).toBe(7);
    expect(h.connection.declaredCapacity).toBe(7);
    h.connection.reply(
      FID,
      waiting.map((c) => [c.connectionId, c.requestId, c.address.token]),
      200,
      [["content-type", "text/plain"]],
      "news",
    );
    const heads = h.messages.filter((m) => m.kind === "head");
    expect(heads).toHaveLength(1);
    expect(heads[0]!.kind === "head" && heads[0]!.to).toEqual(reqs.map(targetOf));
    expect(h.connection.deferredRequests).toBe(0);
    expect(h.connection.declaredCapacity).toBe(1);
  });

  it("holds back body bytes beyond the request's window until credit arrives", async () => {
    const h = harness({ fetch: () => new Response("x".repeat(100)) });
    const req = h.request("GET", "/", { window: 30 });
    await h.transport.waitFor(() => h.about(req).length > 0);
    await tick();
    expect(h.body(h.about(req))).toHaveLength(30);
    h.event({ kind: "credit", fid: FID, conn: req, req, bytes: 50 });
    await tick();
    expect(h.body(h.about(req))).toHaveLength(80);
    h.event({ kind: "credit", fid: FID, conn: req, req, bytes: 50 });
    const msgs = await h.done(req);
    expect(h.body(msgs)).toHaveLength(100);
  });

  it("drops malformed payloads with an event, and keeps serving", async () => {
    const seen: string[] = [];
    const h = harness({ fetch: () => new Response("ok") });
    h.connection.on("malformed", (source) => seen.push(source));
    h.transport.request(Buffer.from([0xc1, 0x00]));
    h.transport.request(encodeToFrontend({ kind: "claim", hid: "x", conn: 1, req: 1, token: 1 }));
    h.transport.event("*", Buffer.from("junk"));
    expect(seen).toEqual(["requests", "requests", "events"]);
    expect(h.body(await h.done(h.request("GET", "/")))).toBe("ok");
  });

  it("drains: goodbye, finish the active request, goodbye again, close", async () => {
    let release!: () => void;
    const h = harness({
      fetch: () => new Promise<Response>((r) => (release = () => r(new Response("done")))),
    });
    const req = h.request("GET", "/");
    const drained = h.connection.drain();
    await tick();
    expect(h.messages.filter((m) => m.kind === "goodbye")).toHaveLength(1);
    expect(h.transport.stopped).toBe(true);
    expect(h.about(req).some((m) => m.kind === "claim")).toBe(true);
    release();
    await drained;
    expect(h.body(h.about(req))).toBe("done");
    expect(h.messages.filter((m) => m.kind === "goodbye")).toHaveLength(2);
    expect(h.transport.closed).toBe(true);
  });
});
