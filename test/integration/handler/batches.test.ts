/**
 * Protocol v2 on the wire, with real ZeroMQ sockets (the test binds the frontend's side): a
 * batch of requests in one PULL message, all answered with their tokens; the replies of one turn
 * in ONE message per frontend; a batch of events; the secret in hello, heartbeat and goodbye;
 * the sockets' size limits and high-water mark.
 */
import { afterEach, describe, expect, it } from "vitest";
import type * as zmq from "zeromq";
import { Limits, type ToFrontendMsg } from "../../../protocol/index.js";
import {
  serve,
  ZmqTransport,
  type FrontendEndpoints,
  type HandlerConnection,
  type HandlerContext,
} from "../../../handler/index.js";
import { REPLY_HWM } from "../../../handler/transport/zmq.js";
import { ipcEndpoints, tempDir } from "../../support/tmp.js";
import { WireFrontend } from "./wire-frontend.js";

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setup(
  app: unknown,
  options: { concurrency?: number; transport?: ZmqTransport } = {},
): Promise<{ f: WireFrontend; c: HandlerConnection; ep: FrontendEndpoints }> {
  const dir = tempDir();
  cleanups.push(dir.cleanup);
  const ep = ipcEndpoints(dir.path);
  const f = await WireFrontend.bind(ep);
  cleanups.push(() => f.close());
  const c = serve(app, { frontends: [ep], heartbeatMs: 100, ...options });
  cleanups.push(() => c.close());
  await f.handlerLive();
  return { f, c, ep };
}

const isHead = (m: ToFrontendMsg) => m.kind === "head";

describe("protocol v2 batches on the wire", () => {
  it("answers every request of one PULL message, each with its own token", async () => {
    const { f } = await setup({ fetch: (r: Request) => new Response(new URL(r.url).pathname) });
    const pushed = await f.requests(
      Array.from({ length: 40 }, (_, i): [string, string] => ["GET", `/r${i}`]),
    );
    expect(new Set(pushed.map((p) => p.token)).size).toBe(40);
    for (const [i, p] of pushed.entries()) {
      const r = await f.response(p.req);
      expect(r.body.toString()).toBe(`/r${i}`);
      for (const m of r.messages) if ("to" in m) expect(m.to).toEqual([p.target]);
    }
  });

  it("sends the replies of one turn as ONE message to the frontend", async () => {
    const { f } = await setup({ fetch: () => new Response("hi") });
    const before = f.messages.length;
    const pushed = await f.requests(
      Array.from({ length: 20 }, (_, i): [string, string] => ["GET", `/${i}`]),
    );
    for (const p of pushed) await f.response(p.req);
    const replies = f.messages.slice(before).filter((m) => m.topic === f.fid);
    // Sync answers to one message's requests are written in one turn: one reply message.
    expect(replies).toEqual([{ topic: f.fid, payloads: 20 }]);
    expect(f.received.filter(isHead)).toHaveLength(20);
  });

  it("takes a batch of events in order, dropping only an invalid one", async () => {
    const { f, c } = await setup({
      fetch: async (_r: Request, ctx: HandlerContext) => {
        const chunks: string[] = [];
        for await (const chunk of ctx.exchange.body) chunks.push(Buffer.from(chunk).toString());
        return new Response(chunks.join("+"));
      },
    });
    // Past the first heartbeat, the handler's subscription has long reached the events socket.
    await f.waitFor((m) => m.kind === "heartbeat");
    const p = await f.request("POST", "/up", { stream: true, length: 6 });
    const credit = await f.waitFor((m) => m.kind === "credit" && m.req === p.req);
    expect(credit).toMatchObject({ conn: p.conn, req: p.req, token: p.token });
    const claim = f.received.find((m) => m.kind === "claim" && m.req === p.req);
    expect(claim).toMatchObject({ token: p.token });
    const body = (data: string, end?: boolean) =>
      ({
        kind: "body",
        fid: f.fid,
        conn: p.conn,
        req: p.req,
        data: Buffer.from(data),
        end,
      }) as const;
    await f.events(c.hid, [body("ab"), Buffer.from([0xc1]), body("cd"), body("ef", true)]);
    expect((await f.response(p.req)).body.toString()).toBe("ab+cd+ef");
    expect(c.malformedCount).toBe(1);
  });

  it("carries the secret in hello, heartbeat and goodbye, all the same", async () => {
    const { f, c } = await setup({ fetch: () => new Response("x") });
    await f.waitFor((m) => m.kind === "heartbeat");
    await c.drain({ timeoutMs: 500 });
    await f.waitFor((m) => m.kind === "goodbye");
    const secrets = f.received
      .filter((m) => m.kind === "hello" || m.kind === "heartbeat" || m.kind === "goodbye")
      .map((m) => Buffer.from((m as { secret: Uint8Array }).secret).toString("hex"));
    expect(secrets.length).toBeGreaterThanOrEqual(3);
    expect(new Set(secrets)).toEqual(new Set([secrets[0]]));
    expect(secrets[0]).toHaveLength(64);
  });

  it("sets the receive size limit on PULL and SUB, and a high send HWM on PUB", async () => {
    const dir = tempDir();
    cleanups.push(dir.cleanup);
    const t = new ZmqTransport([ipcEndpoints(dir.path)]);
    cleanups.push(() => t.close(0));
    const sockets = t as unknown as { pull: zmq.Pull; sub: zmq.Subscriber; pub: zmq.XPublisher };
    expect(sockets.pull.maxMessageSize).toBe(Limits.maxMessageBytes);
    expect(sockets.sub.maxMessageSize).toBe(Limits.maxMessageBytes);
    expect(sockets.pub.sendHighWaterMark).toBe(REPLY_HWM);
    expect(REPLY_HWM).toBeGreaterThanOrEqual(1_000_000);
  });

  it("exposes the request's port to the app", async () => {
    let port = 0;
    const { f } = await setup({
      fetch: (_r: Request, ctx: HandlerContext) => ((port = ctx.port), new Response("x")),
    });
    const p = await f.request("GET", "/", { port: 8123 });
    await f.response(p.req);
    expect(port).toBe(8123);
  });
});
