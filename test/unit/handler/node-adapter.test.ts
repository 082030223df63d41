/** The Node (req, res) gateway over the in-memory transport: genuine http semantics. */
import { describe, expect, it, vi } from "vitest";
import type { IncomingMessage, ServerResponse } from "node:http";
import Koa from "koa";
import { contextOf, Exchange } from "../../../handler/index.js";
import { customReason } from "../../../handler/node/head-reason.js";
import { FID, harnessMaker } from "./harness.js";

const harness = harnessMaker();

describe("Node listener gateway", () => {
  it("gives the listener a genuine request (method, url, headers, body, socket address)", async () => {
    let seen: Record<string, unknown> = {};
    const h = harness((req: IncomingMessage, res: ServerResponse) => {
      let body = "";
      req.setEncoding("utf8");
      req.on("data", (d: string) => (body += d));
      req.on("end", () => {
        seen = {
          method: req.method,
          url: req.url,
          host: req.headers.host,
          body,
          ip: req.socket.remoteAddress,
          ctx: contextOf(req)?.requestId,
        };
        res.end("ok");
      });
    });
    const req = h.request("POST", "/p?q=1", {
      body: Buffer.from("payload"),
      headers: [
        ["host", "example.test"],
        ["content-length", "7"],
      ],
    });
    await h.done(req);
    expect(seen).toEqual({
      method: "POST",
      url: "/p?q=1",
      host: "example.test",
      body: "payload",
      ip: "10.0.0.1",
      ctx: req,
    });
  });

  it("keeps res.write streaming and lengthless (chunked) framing: the end is its own message", async () => {
    const h = harness((_req: IncomingMessage, res: ServerResponse) => {
      res.write("a");
      setTimeout(() => res.end("b"), 5);
    });
    const req = h.request("GET", "/");
    const msgs = await h.done(req);
    expect(msgs.map((m) => m.kind)).toEqual(["head", "data"]);
    expect(h.body(msgs)).toBe("ab");
    expect(
      msgs[0]!.kind === "head" && msgs[0]!.headers.some(([n]) => n === "transfer-encoding"),
    ).toBe(false);
  });

  it("sends a Content-Length response as one message", async () => {
    const h = harness((_req: IncomingMessage, res: ServerResponse) => res.end("whole"));
    const msgs = await h.done(h.request("GET", "/"));
    expect(msgs).toHaveLength(1);
    expect(msgs[0]).toMatchObject({ kind: "head", end: true });
    expect(msgs[0]!.kind === "head" && msgs[0]!.headers).toContainEqual(["Content-Length", "5"]);
  });

  it("strips the body of a HEAD response, keeping its length", async () => {
    const h = harness((_req: IncomingMessage, res: ServerResponse) => {
      res.setHeader("content-length", "5");
      res.end("hello");
    });
    const msgs = await h.done(h.request("HEAD", "/"));
    expect(h.body(msgs)).toBe("");
    expect(msgs[0]!.kind === "head" && msgs[0]!.headers).toContainEqual(["content-length", "5"]);
  });

  it("gives a HEAD response no length when the app declared none", async () => {
    const h = harness((_req: IncomingMessage, res: ServerResponse) => res.end("a body"));
    const msgs = (await h.done(h.request("HEAD", "/"))).filter((m) => m.kind !== "claim");
    // The end leaves on its own, so the frontend does not declare `content-length: 0`.
    expect(msgs.map((m) => m.kind)).toEqual(["head", "end"]);
    const names = msgs[0]!.kind === "head" ? msgs[0]!.headers.map(([n]) => n.toLowerCase()) : [];
    expect(names).not.toContain("content-length");
  });

  it("emits res 'close' when the client disconnects", async () => {
    let closed = false;
    const h = harness((req: IncomingMessage, res: ServerResponse) => {
      res.write("partial");
      res.on("close", () => (closed = true));
    });
    const req = h.request("GET", "/");
    await h.transport.waitFor(() => h.about(req).some((m) => m.kind === "head"));
    h.event({ kind: "disconnect", fid: FID, conn: req, req });
    await new Promise((r) => setImmediate(r));
    expect(closed).toBe(true);
  });

  it("answers 500 when the listener throws before responding", async () => {
    const h = harness((_req: IncomingMessage, _res: ServerResponse) => {
      throw new Error("sync boom");
    });
    const msgs = await h.done(h.request("GET", "/"));
    expect(msgs[0]).toMatchObject({ kind: "head", status: 500 });
  });

  it("serves a Koa app through its callback()", async () => {
    const app = new Koa();
    app.use((ctx) => {
      ctx.body = { path: ctx.path };
    });
    const h = harness(app);
    const msgs = await h.done(h.request("GET", "/koa"));
    expect(JSON.parse(h.body(msgs))).toEqual({ path: "/koa" });
  });

  it("reads a streamed request body, granting credit as it goes", async () => {
    const h = harness((req: IncomingMessage, res: ServerResponse) => {
      const parts: string[] = [];
      req.setEncoding("utf8");
      req.on("data", (d: string) => parts.push(d));
      req.on("end", () => res.end(parts.join("")));
    });
    const req = h.request("POST", "/up", {
      stream: true,
      headers: [
        ["host", "example.test"],
        ["transfer-encoding", "chunked"],
      ],
    });
    await h.transport.waitFor(() => h.messages.some((m) => m.kind === "credit" && m.req === req));
    expect(h.about(req).some((m) => m.kind === "claim")).toBe(true);
    h.event({ kind: "body", fid: FID, conn: req, req, data: Buffer.from("hello ") });
    h.event({ kind: "body", fid: FID, conn: req, req, data: Buffer.from("world"), end: true });
    expect(h.body(await h.done(req))).toBe("hello world");
  });

  it("applies flow control to res.write: false past the window, 'drain' after credit", async () => {
    let drained = false;
    let wrote: boolean | undefined;
    const h = harness((_req: IncomingMessage, res: ServerResponse) => {
      res.writeHead(200, { "content-type": "text/plain" });
      wrote = res.write(Buffer.alloc(64 * 1024, 97));
      res.once("drain", () => {
        drained = true;
        res.end();
      });
    });
    const req = h.request("GET", "/big", { window: 1000 });
    await h.transport.waitFor(() => h.about(req).some((m) => m.kind === "head"));
    await new Promise((r) => setTimeout(r, 20));
    expect(wrote).toBe(false);
    expect(drained).toBe(false);
    expect(h.body(h.about(req))).toHaveLength(1000);
    h.event({ kind: "credit", fid: FID, conn: req, req, bytes: 64 * 1024 });
    const msgs = await h.done(req);
    expect(drained).toBe(true);
    expect(h.body(msgs)).toHaveLength(64 * 1024);
  });

  it("keeps header names in the case the app wrote them (Express's X-Powered-By)", async () => {
    const h = harness((_req: IncomingMessage, res: ServerResponse) => {
      res.setHeader("X-Powered-By", "Express");
      res.setHeader("x-lower", "1");
      res.setHeader("ETag", 'W/"1"');
      res.end("ok");
    });
    const msgs = await h.done(h.request("GET", "/"));
    const names = msgs[0]!.kind === "head" ? msgs[0]!.headers.map(([n]) => n) : [];
    expect(names).toEqual(expect.arrayContaining(["X-Powered-By", "x-lower", "ETag"]));
    expect(names).not.toContain("x-powered-by");
  });

  it("hands a custom reason phrase to the head (and not the standard one)", async () => {
    const calls: unknown[][] = [];
    const spy = vi.spyOn(Exchange.prototype, "writeHead").mockImplementation(function (
      this: Exchange,
      ...args: unknown[]
    ) {
      calls.push(args.slice(3));
      spy.mockRestore();
      return this.writeHead(...(args.slice(0, 3) as Parameters<Exchange["writeHead"]>));
    });
    const h = harness((_req: IncomingMessage, res: ServerResponse) => {
      res.statusMessage = "Very Fine";
      res.end("ok");
    });
    await h.done(h.request("GET", "/"));
    expect(calls).toEqual([["Very Fine"]]);
    expect(customReason(200, "OK")).toBeUndefined();
    expect(customReason(404, "Not Found")).toBeUndefined();
    expect(customReason(404, "Nope")).toBe("Nope");
  });

  for (const withError of [false, true]) {
    it(`sends error, not end, when the app destroys its response after the head (${withError ? "with" : "without"} an error)`, async () => {
      const h = harness((_req: IncomingMessage, res: ServerResponse) => {
        res.writeHead(200, { "content-type": "text/plain" });
        res.write("part");
        setTimeout(() => res.destroy(withError ? new Error("upstream failed") : undefined), 5);
      });
      const req = h.request("GET", "/");
      const msgs = (await h.done(req)).filter((m) => m.kind !== "claim");
      expect(msgs.map((m) => m.kind)).toEqual(["head", "error"]);
      expect(h.body(msgs)).toBe("part");
    });
  }

  it("just closes when the app destroys its response with an error before writing anything", async () => {
    const errors: unknown[] = [];
    const h = harness((_req: IncomingMessage, res: ServerResponse) => {
      setTimeout(() => res.destroy(new Error("upstream failed")), 5);
    });
    h.connection.on("appError", (e) => errors.push(e));
    const msgs = (await h.done(h.request("GET", "/"))).filter((m) => m.kind !== "claim");
    expect(msgs.map((m) => m.kind)).toEqual(["close"]);
    expect(errors).toHaveLength(1);
  });

  it("just closes when the app destroys its response before writing anything", async () => {
    const h = harness((_req: IncomingMessage, res: ServerResponse) => {
      setTimeout(() => res.destroy(), 5);
    });
    const msgs = (await h.done(h.request("GET", "/"))).filter((m) => m.kind !== "claim");
    expect(msgs.map((m) => m.kind)).toEqual(["close"]);
  });

  it("gives req.socket the addresses and ports a Node server gives", async () => {
    let seen: unknown;
    const h = harness((req: IncomingMessage, res: ServerResponse) => {
      const s = req.socket;
      seen = {
        remoteAddress: s.remoteAddress,
        remotePort: s.remotePort,
        remoteFamily: s.remoteFamily,
        localAddress: s.localAddress,
        localPort: s.localPort,
        address: s.address(),
      };
      res.end();
    });
    await h.done(h.request("GET", "/", { remote: "::ffff:10.0.0.9", rport: 40000, port: 8123 }));
    expect(seen).toEqual({
      remoteAddress: "::ffff:10.0.0.9",
      remotePort: 40000,
      remoteFamily: "IPv6",
      localAddress: "::ffff:127.0.0.1",
      localPort: 8123,
      address: { address: "::ffff:127.0.0.1", family: "IPv6", port: 8123 },
    });
  });
});
