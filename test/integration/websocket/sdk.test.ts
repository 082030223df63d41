/**
 * The TypeScript SDK's WebSocket API end to end: `ferry frontend` + `ferry handler
 * examples/websocket-echo/index.ts`, with `ws` clients.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stopAll } from "../../support/processes.js";
import { tempDir } from "../../support/tmp.js";
import {
  startFrontend,
  startHandler,
  tcpEndpoints,
  waitServed,
  type Frontend,
} from "../handler/ferry.js";
import { connect, refusal, waitFor } from "./harness.js";

const APP = "examples/websocket-echo/index.ts";
const dir = tempDir();
let fe: Frontend;
let ws: string;

beforeAll(async () => {
  const ep = await tcpEndpoints();
  fe = await startFrontend(dir.path, ep, { websocket: { maxMessageBytes: 4096 } });
  ws = fe.url.replace("http", "ws");
  await startHandler(APP, ep);
  await waitServed(`${fe.url}/stats`);
}, 30_000);

afterAll(async () => {
  await stopAll();
  dir.cleanup();
});

interface Stats {
  open: number;
  closes: Array<{ code: number; reason: string }>;
}
async function stats(url = fe.url): Promise<Stats> {
  return (await (await fetch(`${url}/stats`)).json()) as Stats;
}

describe("upgradeWebSocket", () => {
  it("echoes text and binary, with the subprotocol the app picked", async () => {
    const c = await connect(`${ws}/ws`, ["other", "echo.v1"]);
    expect(c.ws.protocol).toBe("echo.v1");
    c.ws.send("hello ✓");
    expect(await c.message(0)).toEqual({ data: Buffer.from("hello ✓"), binary: false });
    const bytes = Buffer.from([9, 8, 7, 0, 255]);
    c.ws.send(bytes);
    expect(await c.message(1)).toEqual({ data: bytes, binary: true });
    c.ws.close(1000);
    await c.closed;
  });

  it("accepts without a subprotocol when none is picked", async () => {
    const c = await connect(`${ws}/ws`);
    expect(c.ws.protocol).toBe("");
    c.ws.close();
    await c.closed;
  });

  it("refuses with the app's own response", async () => {
    const r = await refusal(connect(`${ws}/refuse`));
    expect([r.status, r.body]).toEqual([403, "not here\n"]);
  });

  it("broadcasts one message to every open socket", async () => {
    const clients = await Promise.all(Array.from({ length: 6 }, () => connect(`${ws}/ws`)));
    await waitFor(async () => (await stats()).open >= 6);
    clients[2]!.ws.send("all:news");
    expect(await Promise.all(clients.map((c) => c.text(0)))).toEqual(Array(6).fill("news"));
    for (const c of clients) c.ws.close();
    await Promise.all(clients.map((c) => c.closed));
  });

  it("reports the client's close code to the app, and closes with the app's code", async () => {
    const a = await connect(`${ws}/ws`);
    a.ws.close(4002, "leaving");
    await a.closed;
    await waitFor(async () => (await stats()).closes.some((c) => c.code === 4002));
    expect((await stats()).closes).toContainEqual({ code: 4002, reason: "leaving" });

    const b = await connect(`${ws}/ws`);
    b.ws.send("bye");
    expect(await b.closed).toEqual({ code: 4000, reason: "bye" });
  });

  it("closes 1009 past the group's maxMessageBytes", async () => {
    const c = await connect(`${ws}/ws`);
    c.ws.send("x".repeat(4097));
    expect((await c.closed).code).toBe(1009);
  });
});

describe("sockets when processes go", () => {
  it("closes 1011 when the handler is killed, and 1001 when the frontend stops", async () => {
    const d = tempDir();
    try {
      const ep = await tcpEndpoints();
      const front = await startFrontend(d.path, ep);
      const url = front.url.replace("http", "ws");
      const h = await startHandler(APP, ep);
      await waitServed(`${front.url}/stats`);
      const doomed = await Promise.all([1, 2, 3].map(() => connect(`${url}/ws`)));
      h.child.kill("SIGKILL");
      const codes = await Promise.all(doomed.map(async (c) => (await c.closed).code));
      expect(codes).toEqual([1011, 1011, 1011]);

      await startHandler(APP, ep);
      await waitServed(`${front.url}/stats`);
      const c = await connect(`${url}/ws`);
      const stopped = front.proc.stop("SIGTERM");
      expect((await c.closed).code).toBe(1001);
      expect(await stopped).toBe(0);
    } finally {
      d.cleanup();
    }
  }, 30_000);

  it("closes 1001 when the handler drains (SIGTERM)", async () => {
    const d = tempDir();
    try {
      const ep = await tcpEndpoints();
      const front = await startFrontend(d.path, ep);
      const h = await startHandler(APP, ep);
      await waitServed(`${front.url}/stats`);
      const c = await connect(`${front.url.replace("http", "ws")}/ws`);
      c.ws.send("ping");
      await c.message(0);
      const stopped = h.stop("SIGTERM");
      expect(await c.closed).toEqual({ code: 1001, reason: "handler stopping" });
      expect(await stopped).toBe(0);
    } finally {
      d.cleanup();
    }
  }, 30_000);
});
