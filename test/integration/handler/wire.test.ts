/**
 * The SDK against the wire protocol: the test binds the frontend's sockets (PUSH, SUB, PUB) and
 * checks what a served app puts on the wire, over tcp and ipc.
 */
import { afterEach, describe, expect, it } from "vitest";
import {
  serve,
  Replier,
  type HandlerConnection,
  type HandlerContext,
  type FrontendEndpoints,
} from "../../../handler/index.js";
import { freePorts } from "../../support/ports.js";
import { ipcEndpoints, tempDir } from "../../support/tmp.js";
import { WireFrontend } from "./wire-frontend.js";

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function endpoints(proto: "tcp" | "ipc"): Promise<FrontendEndpoints> {
  if (proto === "ipc") {
    const dir = tempDir();
    cleanups.push(dir.cleanup);
    return ipcEndpoints(dir.path);
  }
  const [a, b, c] = await freePorts(3);
  return {
    requests: `tcp://127.0.0.1:${a}`,
    replies: `tcp://127.0.0.1:${b}`,
    events: `tcp://127.0.0.1:${c}`,
  };
}

async function frontend(ep: FrontendEndpoints): Promise<WireFrontend> {
  const f = await WireFrontend.bind(ep);
  cleanups.push(() => f.close());
  return f;
}

function handler(
  app: unknown,
  frontends: FrontendEndpoints[],
  concurrency = 64,
): HandlerConnection {
  const c = serve(app, { frontends, concurrency, heartbeatMs: 100 });
  cleanups.push(() => c.close());
  return c;
}

/** Repeats `act` until `done` holds: PUB/SUB drops what is sent before a subscription lands. */
async function until(
  act: () => Promise<void>,
  done: () => boolean,
  timeoutMs = 5000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error("condition not reached");
    await act();
    await new Promise((r) => setTimeout(r, 20));
  }
}

for (const proto of ["tcp", "ipc"] as const) {
  describe(`handler SDK on the wire (${proto})`, () => {
    it("says hello, and answers a fast request with ONE head message (body, end, no claim)", async () => {
      const ep = await endpoints(proto);
      const f = await frontend(ep);
      const c = handler({ fetch: () => new Response("hi", { headers: { "x-a": "1" } }) }, [ep]);
      expect(await f.handlerLive()).toBe(c.hid);
      const { req } = await f.request("GET", "/x");
      const r = await f.response(req);
      expect(r.status).toBe(200);
      expect(r.body.toString()).toBe("hi");
      expect(r.messages).toHaveLength(1);
      expect(r.messages[0]).toMatchObject({ kind: "head", hid: c.hid, end: true });
      expect(f.received.some((m) => m.kind === "claim")).toBe(false);
    });

    it("claims a slow request explicitly, then replies", async () => {
      const ep = await endpoints(proto);
      const f = await frontend(ep);
      handler(
        {
          fetch: () => new Promise<Response>((r) => setTimeout(() => r(new Response("late")), 60)),
        },
        [ep],
      );
      await f.handlerLive();
      const { req } = await f.request("GET", "/slow");
      const claim = await f.waitFor((m) => m.kind === "claim" && m.req === req);
      expect(claim).toMatchObject({ kind: "claim", req });
      expect((await f.response(req)).body.toString()).toBe("late");
    });

    it("aborts request.signal on disconnect and reports it", async () => {
      const ep = await endpoints(proto);
      const f = await frontend(ep);
      let aborted = 0;
      const c = handler(
        {
          fetch: (request: Request) =>
            new Promise<Response>((resolve) =>
              request.signal.addEventListener(
                "abort",
                () => (aborted++, resolve(new Response("x"))),
              ),
            ),
        },
        [ep],
      );
      await f.handlerLive();
      const { conn, req } = await f.request("GET", "/hang");
      await f.waitFor((m) => m.kind === "claim" && m.req === req);
      await until(
        () => f.event(c.hid, { kind: "disconnect", fid: f.fid, conn, req }),
        () => aborted === 1,
      );
      expect(c.inflight).toBe(0);
    });

    it("says hello again when a frontend restarts, and serves the new one", async () => {
      const ep = await endpoints(proto);
      const f1 = await WireFrontend.bind(ep);
      const c = handler({ fetch: () => new Response("ok") }, [ep]);
      await f1.handlerLive();
      await f1.close();
      const f2 = await frontend(ep);
      const hello = await f2.waitFor((m) => m.kind === "hello", 5000);
      expect(hello).toMatchObject({ hid: c.hid });
      const { req } = await f2.request("GET", "/");
      expect((await f2.response(req)).body.toString()).toBe("ok");
    });

    it("aborts the requests of a frontend that goes away", async () => {
      const ep = await endpoints(proto);
      const f = await WireFrontend.bind(ep);
      let aborted = 0;
      const c = handler(
        {
          fetch: (_r: Request, ctx: HandlerContext) => (
            ctx.signal.addEventListener("abort", () => aborted++),
            ctx.defer()
          ),
        },
        [ep],
      );
      await f.handlerLive();
      await f.request("GET", "/poll");
      await f.waitFor((m) => m.kind === "claim");
      const gone = new Promise<[string, number]>((r) =>
        c.once("peerGone", (fid, n) => r([fid, n])),
      );
      await f.close();
      expect(await gone).toEqual([f.fid, 1]);
      expect(aborted).toBe(1);
      expect(c.deferredRequests).toBe(0);
    });

    it("serves two frontends at once, each reply under its own frontend id", async () => {
      const [ea, eb] = [await endpoints(proto), await endpoints(proto)];
      const [fa, fb] = [await frontend(ea), await frontend(eb)];
      handler({ fetch: (r: Request) => new Response(new URL(r.url).pathname) }, [ea, eb]);
      await Promise.all([fa.handlerLive(), fb.handlerLive()]);
      const [ra, rb] = [await fa.request("GET", "/a"), await fb.request("GET", "/b")];
      expect((await fa.response(ra.req)).body.toString()).toBe("/a");
      expect((await fb.response(rb.req)).body.toString()).toBe("/b");
    });

    it("stops taking requests at the concurrency limit", async () => {
      const ep = await endpoints(proto);
      const f = await frontend(ep);
      const release: Array<() => void> = [];
      let started = 0;
      handler(
        {
          fetch: () =>
            new Promise<Response>((r) => (started++, release.push(() => r(new Response("done"))))),
        },
        [ep],
        2,
      );
      await f.handlerLive();
      const reqs = [];
      for (let i = 0; i < 4; i++) reqs.push(await f.request("GET", `/${i}`));
      await until(
        async () => {},
        () => started === 2,
      );
      await new Promise((r) => setTimeout(r, 50));
      expect(started).toBe(2);
      release.splice(0).forEach((r) => r());
      await until(
        async () => {},
        () => started === 4,
      );
      release.splice(0).forEach((r) => r());
      for (const { req } of reqs) expect((await f.response(req)).body.toString()).toBe("done");
    });

    it("waits for credit when the request has a window", async () => {
      const ep = await endpoints(proto);
      const f = await frontend(ep);
      const c = handler({ fetch: () => new Response("x".repeat(1000)) }, [ep]);
      await f.handlerLive();
      const { conn, req } = await f.request("GET", "/", { window: 300 });
      const head = await f.waitFor((m) => m.kind === "head" && m.to[0]![1] === req);
      expect(head.kind === "head" && head.body?.length).toBe(300);
      await until(
        () => f.event(c.hid, { kind: "credit", fid: f.fid, conn, req, bytes: 1000 }),
        () => f.repliesFor(req).length > 1,
      );
      const r = await f.response(req);
      expect(r.body.length).toBe(1000);
    });

    it("lets a Replier stream to deferred requests (head, data, end)", async () => {
      const ep = await endpoints(proto);
      const f = await frontend(ep);
      const addresses: HandlerContext["address"][] = [];
      handler(
        { fetch: (_r: Request, ctx: HandlerContext) => (addresses.push(ctx.address), ctx.defer()) },
        [ep],
      );
      await f.handlerLive();
      const reqs = [await f.request("GET", "/events"), await f.request("GET", "/events")];
      await until(
        async () => {},
        () => addresses.length === 2,
      );
      const replier = new Replier({ replies: [ep.replies] });
      cleanups.push(() => replier.shutdown(100));
      await replier.head(addresses, 200, { "content-type": "text/event-stream" });
      await replier.write(addresses, "data: one\n\n");
      await replier.write(addresses, "data: two\n\n");
      await replier.end(addresses);
      for (const { req } of reqs) {
        const r = await f.response(req);
        expect(r.headers).toEqual([["content-type", "text/event-stream"]]);
        expect(r.body.toString()).toBe("data: one\n\ndata: two\n\n");
        expect(r.messages.map((m) => m.kind)).toEqual(["head", "data", "data", "end"]);
      }
    });

    it("lets a Replier in another process answer deferred requests, many in one message", async () => {
      const ep = await endpoints(proto);
      const f = await frontend(ep);
      const addresses: HandlerContext["address"][] = [];
      handler(
        { fetch: (_r: Request, ctx: HandlerContext) => (addresses.push(ctx.address), ctx.defer()) },
        [ep],
      );
      await f.handlerLive();
      const reqs = [
        await f.request("GET", "/poll"),
        await f.request("GET", "/poll"),
        await f.request("GET", "/poll"),
      ];
      await until(
        async () => {},
        () => addresses.length === 3,
      );
      const replier = new Replier({ replies: [ep.replies] });
      cleanups.push(() => replier.shutdown(100));
      await replier.reply(JSON.parse(JSON.stringify(addresses)), {
        status: 200,
        headers: { "content-type": "text/plain" },
        body: "news",
      });
      for (const { req } of reqs) expect((await f.response(req)).body.toString()).toBe("news");
      const heads = f.received.filter((m) => m.kind === "head");
      expect(heads).toHaveLength(1);
      // Each target quotes its request's token: that is what lets the Replier's reply through.
      expect(heads[0]!.kind === "head" && heads[0]!.to).toEqual(reqs.map((r) => r.target));
    });
  });
}
