/**
 * The frontend's WebSockets on their own: `ferry frontend` and a raw protocol handler
 * (test/support/ws-test-handler.ts), with `ws` clients. Handshake accepted, refused and checked;
 * messages both ways; one `ws` reply to many sockets; close codes both ways; limits; handler loss
 * (1011) and frontend stop (1001).
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { request } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stopAll, type Proc } from "../../support/processes.js";
import { tempDir } from "../../support/tmp.js";
import { endpointsFor } from "../frontend/harness.js";
import {
  connect,
  refusal,
  startRawHandler,
  startWsFrontend,
  waitFor,
  waitServed,
  type WsFrontend,
} from "./harness.js";

const dir = tempDir();
let fe: WsFrontend;
let handler: Proc;

beforeAll(async () => {
  const ep = await endpointsFor("tcp", dir.path);
  const empty = await endpointsFor("ipc", join(dir.path));
  const m2dir = join(dir.path, "m2");
  mkdirSync(m2dir);
  const m2 = await endpointsFor("ipc", m2dir);
  const www = join(dir.path, "www");
  mkdirSync(www);
  writeFileSync(join(www, "index.html"), "hi");
  fe = await startWsFrontend(
    dir.path,
    ep,
    { websocket: { maxMessageBytes: 1024, pingInterval: 200 } },
    {
      routes: [
        { path: "/static", target: { kind: "static", dir: www } },
        { path: "/empty", target: { kind: "handler", group: "empty" } },
        { path: "/m2", target: { kind: "handler", group: "m2" } },
      ],
      groups: {
        empty: empty,
        m2: { protocol: "mongrel2", ...m2 },
      },
      control: true,
    },
  );
  handler = startRawHandler(ep);
  await waitServed(`${fe.url}/plain`);
}, 30_000);

afterAll(async () => {
  await stopAll();
  dir.cleanup();
});

async function metricsUrl(): Promise<string> {
  const line = await fe.proc.waitFor(
    /"address":"http:\/\/127\.0\.0\.1:\d+","msg":"control listening"/,
  );
  return `${/http:\/\/[^"]+/.exec(line)![0]}/metrics`;
}

function events(kind: string): Array<Record<string, unknown>> {
  return [...handler.output().matchAll(new RegExp(`^event ${kind} (.*)$`, "gm"))].map(
    (m) => JSON.parse(m[1]!) as Record<string, unknown>,
  );
}

describe("WebSocket handshake", () => {
  it("is accepted with the handler's subprotocol and extra headers, and echoes text and binary", async () => {
    const c = await connect(`${fe.ws}/ws/echo?proto=chat.v2`, ["chat.v1", "chat.v2"]);
    expect(c.ws.protocol).toBe("chat.v2");
    expect(c.upgradeHeaders["set-cookie"]).toEqual(["ws=1"]);
    c.ws.send("héllo");
    const first = await c.message(0);
    expect(first).toEqual({ data: Buffer.from("héllo"), binary: false });
    const bytes = Buffer.from([0, 1, 2, 255, 254]);
    c.ws.send(bytes);
    expect(await c.message(1)).toEqual({ data: bytes, binary: true });
    c.ws.close(1000);
    expect((await c.closed).code).toBe(1000);
  });

  it("answers 502 when the handler picks a subprotocol the client did not offer", async () => {
    const r = await refusal(connect(`${fe.ws}/ws/echo?proto=nope`, ["chat.v1"]));
    expect(r.status).toBe(502);
    expect(r.code).toBe("FERRY_BAD_REPLY");
  });

  it("passes a handler's refusal to the client as an HTTP response", async () => {
    const r = await refusal(connect(`${fe.ws}/ws/refuse`));
    expect(r.status).toBe(403);
    expect(r.body).toBe("refused");
  });

  it("refuses an invalid handshake with 400 before any handler sees it", async () => {
    const before = handler.output().match(/^open /gm)?.length ?? 0;
    const status = await new Promise<{ status: number; code: unknown }>((resolve, reject) => {
      const req = request(`${fe.url}/ws/echo`, {
        headers: { connection: "Upgrade", upgrade: "websocket", "sec-websocket-version": "13" },
      });
      req.on("response", (res) =>
        resolve({ status: res.statusCode ?? 0, code: res.headers["x-ferry-error"] }),
      );
      req.on("upgrade", () => reject(new Error("upgraded")));
      req.on("error", reject);
      req.end();
    });
    expect(status).toEqual({ status: 400, code: "FERRY_BAD_HANDSHAKE" });
    expect(handler.output().match(/^open /gm)?.length ?? 0).toBe(before);
  });

  it("refuses upgrades on static and mongrel2 routes (501) and answers 503 with no handler", async () => {
    expect((await refusal(connect(`${fe.ws}/static/`))).status).toBe(501);
    expect((await refusal(connect(`${fe.ws}/m2/x`))).code).toBe("FERRY_UPGRADE_UNSUPPORTED");
    const none = await refusal(connect(`${fe.ws}/empty/x`));
    expect([none.status, none.code]).toEqual([503, "FERRY_NO_HANDLER"]);
  });

  it("serves other Upgrade protocols as plain HTTP", async () => {
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(`${fe.url}/plain`, {
        headers: { connection: "Upgrade", upgrade: "h2c" },
      });
      req.on("response", (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on("error", reject);
      req.end();
    });
    expect(status).toBe(200);
  });
});

describe("an open WebSocket", () => {
  it("gets one handler message addressed to many sockets", async () => {
    const clients = await Promise.all(Array.from({ length: 5 }, () => connect(`${fe.ws}/ws/echo`)));
    clients[0]!.ws.send("all:to everyone");
    const texts = await Promise.all(clients.map((c) => c.text(0)));
    expect(texts).toEqual(Array(5).fill("to everyone"));
    for (const c of clients) c.ws.close();
    await Promise.all(clients.map((c) => c.closed));
  });

  it("tells the handler the client's close code and reason", async () => {
    const c = await connect(`${fe.ws}/ws/echo`);
    c.ws.send("x");
    await c.message(0);
    c.ws.close(4002, "client leaves");
    await c.closed;
    await waitFor(() => events("disconnect").some((e) => e.code === 4002));
    expect(events("disconnect").find((e) => e.code === 4002)).toMatchObject({
      reason: "client leaves",
    });
  });

  it("closes with the handler's code and reason", async () => {
    const c = await connect(`${fe.ws}/ws/echo`);
    c.ws.send("close:4001:bye now");
    expect(await c.closed).toEqual({ code: 4001, reason: "bye now" });
  });

  it("closes 1011 on a handler error, and ignores a head (a bad reply)", async () => {
    const c = await connect(`${fe.ws}/ws/echo`);
    c.ws.send("head");
    expect(await c.text(0)).toBe("still-open");
    c.ws.send("error");
    expect((await c.closed).code).toBe(1011);
  });

  it("closes 1009 past the group's maxMessageBytes", async () => {
    const c = await connect(`${fe.ws}/ws/echo`);
    c.ws.send(Buffer.alloc(1024, 1));
    expect((await c.message(0)).data.length).toBe(1024);
    c.ws.send(Buffer.alloc(1025, 1));
    expect((await c.closed).code).toBe(1009);
  });

  it("drops a client that does not answer pings", async () => {
    const c = await connect(`${fe.ws}/ws/echo`, [], { autoPong: false });
    const started = Date.now();
    expect((await c.closed).code).toBe(1006);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it("keeps a client that answers pings, and counts the sockets", async () => {
    const c = await connect(`${fe.ws}/ws/echo`);
    let pings = 0;
    c.ws.on("ping", () => pings++);
    await waitFor(() => pings >= 3);
    c.ws.send("alive?");
    expect(await c.text(0)).toBe("alive?");
    const metrics = await (await fetch(await metricsUrl())).text();
    expect(metrics).toMatch(/^ferry_websockets_open 1$/m);
    expect(metrics).toMatch(/^ferry_ws_messages_in_total [1-9]/m);
    c.ws.close();
    await c.closed;
  });
});

describe("a client that does not read", () => {
  // Its own frontend, with pings far apart: a paused client cannot answer a ping, and on a loaded
  // machine the flood may take longer than a short ping interval to fill loopback's buffers, so
  // the ping timeout (1006) would race the queue bound this test is about. (The handler's long
  // default heartbeat interval keeps its own flood loop from making it look lost.)
  it("is closed 1013 past connectionQueueBytes", async () => {
    const d = tempDir();
    try {
      const ep = await endpointsFor("ipc", d.path);
      const front = await startWsFrontend(
        d.path,
        ep,
        { websocket: { pingInterval: 60_000, connectionQueueBytes: 256 * 1024 } },
        { control: true },
      );
      const h = startRawHandler(ep);
      await waitServed(`${front.url}/plain`);
      const line = await front.proc.waitFor(
        /"address":"http:\/\/127\.0\.0\.1:\d+","msg":"control listening"/,
      );
      const metrics = `${/http:\/\/[^"]+/.exec(line)![0]}/metrics`;
      const c = await connect(`${front.ws}/ws/echo`);
      // ws.pause(), not the raw socket's: ws resumes its socket whenever its parser drains,
      // unless the WebSocket itself is paused.
      c.ws.pause();
      // 32 MiB, far more than loopback buffers plus the 256 KiB bound.
      c.ws.send("flood:512:65536");
      await waitFor(async () => {
        const m = /^ferry_slow_clients_closed_total (\d+)/m.exec(
          await (await fetch(metrics)).text(),
        );
        return Number(m?.[1] ?? 0) >= 1;
      });
      c.ws.resume();
      expect((await c.closed).code).toBe(1013);
      expect(c.messages.length).toBeLessThan(512);
      await h.stop();
      expect(await front.proc.stop("SIGTERM")).toBe(0);
    } finally {
      d.cleanup();
    }
  }, 30_000);
});

describe("sockets outliving their handler or frontend", () => {
  it("closes 1011 when the handler is killed, and 1001 when the frontend stops", async () => {
    const d = tempDir();
    try {
      const ep = await endpointsFor("ipc", d.path);
      const front = await startWsFrontend(d.path, ep, { heartbeat: { interval: 100, misses: 3 } });
      const h = startRawHandler(ep, 100);
      await waitServed(`${front.url}/plain`);
      const doomed = await Promise.all([1, 2, 3].map(() => connect(`${front.ws}/ws/echo`)));
      h.child.kill("SIGKILL");
      const codes = await Promise.all(doomed.map(async (c) => (await c.closed).code));
      expect(codes).toEqual([1011, 1011, 1011]);

      const h2 = startRawHandler(ep, 100);
      await waitServed(`${front.url}/plain`);
      const c = await connect(`${front.ws}/ws/echo`);
      const stopped = front.proc.stop("SIGTERM");
      expect((await c.closed).code).toBe(1001);
      expect(await stopped).toBe(0);
      await h2.stop();
    } finally {
      d.cleanup();
    }
  }, 30_000);
});
