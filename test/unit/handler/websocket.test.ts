/** The SDK's WebSocket API over the in-memory transport: the test plays the frontend. */
import { describe, expect, it } from "vitest";
import { Hono } from "hono";
import {
  acceptWebSocket,
  broadcast,
  contextOf,
  nodeApp,
  fetchApp,
  isWebSocketRequest,
  upgradeWebSocket,
  type FerryWebSocket,
  type WebSocketCloseEvent,
} from "../../../handler/index.js";
import type { HeaderPair, ToFrontendMsg } from "../../../protocol/index.js";
import { FID, harnessMaker, targetOf, type Harness } from "./harness.js";

const harness = harnessMaker();

const UPGRADE: HeaderPair[] = [
  ["host", "example.test"],
  ["upgrade", "websocket"],
  ["connection", "Upgrade"],
  ["sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ=="],
  ["sec-websocket-version", "13"],
  ["sec-websocket-protocol", "a.v1, b.v2"],
];

interface Seen {
  sockets: FerryWebSocket[];
  log: string[];
}

function echoHarness(options: { protocol?: string } = {}): { h: Harness; seen: Seen } {
  const seen: Seen = { sockets: [], log: [] };
  const app = fetchApp((request: Request) => {
    if (!isWebSocketRequest(request)) return new Response("plain");
    const { socket, response } = upgradeWebSocket(request, options);
    seen.sockets.push(socket);
    socket.onopen = () => seen.log.push(`open ${socket.protocol}`);
    socket.addEventListener("message", (e) => {
      const data = (e as MessageEvent).data as string | ArrayBuffer;
      seen.log.push(typeof data === "string" ? `text ${data}` : `binary ${data.byteLength}`);
      socket.send(data);
    });
    socket.onclose = (e) => seen.log.push(`close ${e.code} ${e.reason} ${e.wasClean}`);
    response.headers.set("set-cookie", "s=1");
    return response;
  });
  const h = harness(app);
  return { h, seen };
}

function upgrade(h: Harness): number {
  return h.request("GET", "/ws", { headers: UPGRADE, upgrade: "websocket" });
}

/** Until `fn()` holds (app-side state, which no published message signals). */
async function until(fn: () => boolean): Promise<void> {
  for (let i = 0; i < 1000 && !fn(); i++) await new Promise((r) => setImmediate(r));
  if (!fn()) throw new Error("condition never held");
}

const last = (h: Harness, kind: ToFrontendMsg["kind"]) =>
  h.messages.filter((m) => m.kind === kind).at(-1);

describe("upgradeWebSocket", () => {
  it("accepts with a 101 carrying the subprotocol and the response's headers, then opens", async () => {
    const { h, seen } = echoHarness({ protocol: "b.v2" });
    const req = upgrade(h);
    const [head] = await h.done(req);
    expect(head).toMatchObject({ kind: "head", status: 101, to: [targetOf(req)] });
    const headers = (head as { headers: HeaderPair[] }).headers;
    expect(headers).toContainEqual(["sec-websocket-protocol", "b.v2"]);
    expect(headers).toContainEqual(["set-cookie", "s=1"]);
    await until(() => seen.log.includes("open b.v2"));
    expect(seen.sockets[0]!.readyState).toBe(1);
    expect(h.connection.inflight).toBe(0);
  });

  it("routes the client's messages to the socket and its sends back as ws replies", async () => {
    const { h, seen } = echoHarness();
    const req = upgrade(h);
    await until(() => seen.log.includes("open "));
    h.event({ kind: "ws", fid: FID, conn: req, req, data: Buffer.from("hi"), binary: false });
    h.event({ kind: "ws", fid: FID, conn: req, req, data: Buffer.from([1, 2, 3]), binary: true });
    await h.transport.waitFor(() => h.messages.filter((m) => m.kind === "ws").length === 2);
    const ws = h.messages.filter((m) => m.kind === "ws");
    expect(ws[0]).toMatchObject({ to: [targetOf(req)], binary: false });
    expect(Buffer.from((ws[0] as { data: Uint8Array }).data).toString()).toBe("hi");
    expect(ws[1]).toMatchObject({ binary: true });
    expect(seen.log).toEqual(["open ", "text hi", "binary 3"]);
  });

  it("delivers messages that arrive before `open` right after it", async () => {
    const { h, seen } = echoHarness();
    const req = upgrade(h);
    await h.done(req);
    h.event({ kind: "ws", fid: FID, conn: req, req, data: Buffer.from("early"), binary: false });
    await until(() => seen.log.length >= 2);
    expect(seen.log).toEqual(["open ", "text early"]);
  });

  it("reports the frontend's disconnect as a close event with the client's code", async () => {
    const { h, seen } = echoHarness();
    const req = upgrade(h);
    await until(() => seen.log.includes("open "));
    h.event({ kind: "disconnect", fid: FID, conn: req, req, code: 4005, reason: "gone" });
    expect(seen.log.at(-1)).toBe("close 4005 gone true");
    expect(seen.sockets[0]!.readyState).toBe(3);
    expect(h.connection.websockets.size).toBe(0);
  });

  it("closes with a close reply carrying code and reason, and validates them", async () => {
    const { h, seen } = echoHarness();
    const req = upgrade(h);
    await until(() => seen.log.includes("open "));
    const socket = seen.sockets[0]!;
    expect(() => socket.close(1005)).toThrow(/cannot be sent/);
    expect(() => socket.close(1000, "x".repeat(124))).toThrow(/123 bytes/);
    socket.close(4001, "done");
    expect(socket.readyState).toBe(2);
    expect(last(h, "close")).toMatchObject({ to: [targetOf(req)], code: 4001, reason: "done" });
    socket.send("ignored while closing");
    expect(h.messages.filter((m) => m.kind === "ws")).toHaveLength(0);
  });

  it("sends a close made before `open` right after the 101", async () => {
    const h = harness(
      fetchApp((request: Request) => {
        const { socket, response } = upgradeWebSocket(request);
        socket.close(4009, "changed my mind");
        return response;
      }),
    );
    const req = upgrade(h);
    await h.transport.waitFor(() => h.messages.some((m) => m.kind === "close"));
    expect(h.about(req).map((m) => m.kind)).toEqual(["head", "close"]);
    expect(last(h, "close")).toMatchObject({ code: 4009, reason: "changed my mind" });
  });

  it("throws for a request that is not an upgrade, or a subprotocol the client did not offer", async () => {
    const errors: string[] = [];
    const h = harness(
      fetchApp((request: Request) => {
        try {
          upgradeWebSocket(request, { protocol: "c.v3" });
        } catch (err) {
          errors.push((err as Error).message);
        }
        return new Response("no");
      }),
    );
    await h.done(h.request("GET", "/"));
    await h.done(upgrade(h));
    expect(errors[0]).toMatch(/not a WebSocket upgrade/);
    expect(errors[1]).toMatch(/did not offer the subprotocol "c.v3"/);
    expect(() => upgradeWebSocket(new Request("http://x/"))).toThrow(/needs the Request/);
  });

  it("refuses when the app returns another response", async () => {
    const h = harness(
      fetchApp((request: Request) => {
        upgradeWebSocket(request);
        return new Response("nope", { status: 403 });
      }),
    );
    const [head] = await h.done(upgrade(h));
    expect(head).toMatchObject({ kind: "head", status: 403 });
  });

  it("works from a Hono route with c.req.raw", async () => {
    const app = new Hono();
    const opened: FerryWebSocket[] = [];
    app.get("/ws", (c) => {
      const { socket, response } = upgradeWebSocket(c.req.raw);
      socket.onopen = () => opened.push(socket);
      return response;
    });
    const h = harness(app);
    const [head] = await h.done(upgrade(h));
    expect(head).toMatchObject({ kind: "head", status: 101 });
    await until(() => opened.length === 1);
  });
});

describe("acceptWebSocket", () => {
  it("accepts from a Node-style app through the request's exchange", async () => {
    const opened: FerryWebSocket[] = [];
    const h = harness(
      nodeApp((req) => {
        const socket = acceptWebSocket(contextOf(req)!.exchange, { protocol: "a.v1" }, [
          ["x-room", "7"],
        ]);
        socket.onopen = () => opened.push(socket);
      }),
    );
    const [head] = await h.done(upgrade(h));
    expect(head).toMatchObject({ kind: "head", status: 101 });
    expect((head as { headers: HeaderPair[] }).headers).toEqual([
      ["x-room", "7"],
      ["sec-websocket-protocol", "a.v1"],
    ]);
    await until(() => opened.length === 1);
  });
});

describe("broadcast", () => {
  it("sends ONE ws reply addressed to every open socket of a frontend", async () => {
    const { h, seen } = echoHarness();
    const reqs = [upgrade(h), upgrade(h), upgrade(h)];
    await until(() => seen.log.filter((l) => l === "open ").length === 3);
    seen.sockets[1]!.close(1000);
    const before = h.messages.length;
    expect(broadcast(seen.sockets, "news")).toBe(2);
    const sent = h.messages.slice(before);
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({
      kind: "ws",
      binary: false,
      to: [targetOf(reqs[0]!), targetOf(reqs[2]!)],
    });
  });

  it("closes the sockets of a frontend that is gone with 1006", async () => {
    const { h, seen } = echoHarness();
    upgrade(h);
    await until(() => seen.log.includes("open "));
    const closes: WebSocketCloseEvent[] = [];
    seen.sockets[0]!.addEventListener("close", (e) => closes.push(e as WebSocketCloseEvent));
    h.connection["abortFrontend"](FID);
    expect(closes.map((e) => [e.code, e.wasClean])).toEqual([[1006, false]]);
  });
});
