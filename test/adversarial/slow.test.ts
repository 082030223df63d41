/**
 * Every wait is bounded: slow headers (408), a body that stops mid-way on every route kind (408
 * FERRY_BODY_TIMEOUT after limits.bodyIdleMs), a TLS client that never sends its ClientHello
 * (closed after limits.handshakeTimeout), the proxy's wait for an upstream connection (503 past
 * the queue's length, 504 past its wait), and limits.bodyBytes on proxy routes. Short configured
 * timeouts keep the cases fast.
 */
import { connect, type Socket } from "node:net";
import { connect as tlsConnect } from "node:tls";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  HID,
  script,
  eventually,
  rawRequest,
  responses,
  startSuite,
  stillServing,
  type Suite,
} from "./harness.js";

const IDLE = 400;

script("take", (r, send) => {
  send(r.fid, { kind: "claim", hid: HID, conn: r.conn, req: r.req, token: r.token });
  send(r.fid, {
    kind: "credit",
    hid: HID,
    conn: r.conn,
    req: r.req,
    token: r.token,
    bytes: 1024 * 1024,
  });
});

describe("slow clients", () => {
  let suite: Suite;
  beforeAll(async () => {
    suite = await startSuite({
      tls: true,
      limits: { bodyIdleMs: IDLE, handshakeTimeout: 400, headerTimeout: 800, bodyBytes: 64 * 1024 },
      proxy: { connections: 2, queue: { length: 2, wait: 500 } },
      group: { inlineBodyLimit: 1024 },
    });
  });
  afterAll(() => suite.stop());

  it("answers 408 to headers that never finish", async () => {
    const started = Date.now();
    const r = await rawRequest(suite.port, "GET /h/echo HTTP/1.1\r\nHost: x\r\nX-Slow: ", {
      idleMs: 5000,
    });
    expect(r.data).toMatch(/^HTTP\/1\.1 408 /);
    expect(Date.now() - started).toBeLessThan(4000);
  });

  for (const [name, path, length] of [
    ["handler route, inline body", "/h/echo", 100],
    // A handler that takes the body as it comes (credit) and waits for the rest.
    ["handler route, streamed body", "/h/take", 10_000],
    ["proxy route", "/proxy/p", 100],
    ["static route", "/static/small.txt", 100],
  ] as const) {
    it(`times out a body that stops (${name})`, async () => {
      const started = Date.now();
      const r = await rawRequest(
        suite.port,
        `POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Length: ${length}\r\n\r\npartial`,
        { idleMs: 5000 },
      );
      const took = Date.now() - started;
      expect(r.end).not.toBe("open");
      expect(took).toBeLessThan(IDLE * 3 + 1000);
      const [first] = responses(r.data);
      if (path.startsWith("/static")) {
        // A static route answers at once (405, POST): then the stalled body only costs the
        // connection, which is closed.
        expect(first?.status).toBe(405);
      } else {
        expect(first?.head).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\n/);
        expect(first?.head).toMatch(/\r\nx-ferry-error: FERRY_BODY_TIMEOUT\r\n/);
      }
    });
  }

  it("keeps a body that arrives slowly but steadily", async () => {
    const socket = connect(suite.port, "127.0.0.1");
    let data = "";
    socket.on("data", (c: Buffer) => (data += c.toString("latin1")));
    await new Promise((r) => socket.once("connect", r));
    socket.write(
      "POST /h/echo HTTP/1.1\r\nHost: x\r\nContent-Length: 6\r\nConnection: close\r\n\r\n",
    );
    for (let i = 0; i < 6; i++) {
      await new Promise((r) => setTimeout(r, IDLE / 3));
      socket.write("x");
    }
    await new Promise((r) => socket.once("close", r));
    expect(responses(data)[0]?.status).toBe(200);
    expect(JSON.parse(responses(data)[0]!.body)).toMatchObject({ body: 6 });
  });

  it("closes a TLS connection that never sends its ClientHello", async () => {
    const started = Date.now();
    const socket: Socket = connect(suite.tlsPort!, "127.0.0.1");
    socket.on("error", () => {});
    await new Promise((r) => socket.once("close", r));
    const took = Date.now() - started;
    expect(took).toBeGreaterThanOrEqual(300);
    expect(took).toBeLessThan(3000);
  });

  it("keeps a TLS connection whose handshake finished in time, however long it then idles", async () => {
    const socket = tlsConnect({
      port: suite.tlsPort!,
      host: "127.0.0.1",
      rejectUnauthorized: false,
    });
    socket.on("error", () => {});
    await new Promise((r) => socket.once("secureConnect", r));
    await new Promise((r) => setTimeout(r, 700));
    let data = "";
    socket.on("data", (c: Buffer) => (data += c.toString("latin1")));
    socket.write("GET /static/small.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    await new Promise((r) => socket.once("close", r));
    expect(responses(data)[0]?.body).toBe("small file\n");
  });

  it("bounds the proxy's wait for an upstream connection: 503 when the queue is full, 504 past its wait", async () => {
    // Two connections held by the upstream, two requests waiting: the fifth is refused at once.
    const hold = () =>
      rawRequest(suite.port, "GET /proxy/hold HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", {
        idleMs: 5000,
      });
    const held = [hold(), hold()];
    expect(await eventually(() => suite.upstreamOpen() === 2)).toBe(true);
    held.push(hold(), hold());
    await new Promise((r) => setTimeout(r, 100));
    const busy = await rawRequest(
      suite.port,
      "GET /proxy/p HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    );
    const [refused] = responses(busy.data);
    expect(refused?.head).toMatch(/^HTTP\/1\.1 503 Service Unavailable\r\n/);
    expect(refused?.head).toMatch(/\r\nx-ferry-error: FERRY_UPSTREAM_BUSY\r\n/);
    const waited = await Promise.race([held[2]!, held[3]!]);
    const [timedOut] = responses(waited.data);
    expect(timedOut?.head).toMatch(/^HTTP\/1\.1 504 Gateway Timeout\r\n/);
    expect(timedOut?.head).toMatch(/\r\nx-ferry-error: FERRY_UPSTREAM_TIMEOUT\r\n/);
    suite.releaseUpstream();
    const done = await Promise.all(held);
    expect(done.slice(0, 2).map((d) => responses(d.data)[0]?.body)).toEqual([
      "released",
      "released",
    ]);
    // The route serves again.
    const after = await rawRequest(
      suite.port,
      "GET /proxy/p HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    );
    expect(responses(after.data)[0]?.body).toBe("upstream /p 0");
  });

  it("does not let clients trickling small bodies hold the proxy's upstream connections", async () => {
    const tricklers = await Promise.all(
      [0, 1, 2, 3].map(
        () =>
          new Promise<Socket>((resolve) => {
            const s = connect(suite.port, "127.0.0.1", () => {
              s.write("POST /proxy/p HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nx");
              resolve(s);
            });
            s.on("error", () => {});
          }),
      ),
    );
    const drip = setInterval(() => {
      for (const s of tricklers) s.write("x");
    }, IDLE / 4);
    try {
      await new Promise((r) => setTimeout(r, 200));
      const r = await rawRequest(
        suite.port,
        "GET /proxy/p HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
      );
      expect(responses(r.data)[0]?.body).toBe("upstream /p 0");
    } finally {
      clearInterval(drip);
      for (const s of tricklers) s.destroy();
    }
  });

  it("enforces limits.bodyBytes on proxy routes, declared or chunked", async () => {
    const seen = suite.upstreamSeen.length;
    const declared = await rawRequest(
      suite.port,
      `POST /proxy/p HTTP/1.1\r\nHost: x\r\nContent-Length: ${64 * 1024 + 1}\r\n\r\n`,
    );
    expect(responses(declared.data)[0]?.head).toMatch(
      /^HTTP\/1\.1 413 Payload Too Large\r\n[^]*x-ferry-error: FERRY_BODY_TOO_LARGE/,
    );
    expect(suite.upstreamSeen.length).toBe(seen);

    const chunk = "x".repeat(16 * 1024);
    const chunked =
      "POST /proxy/p HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" +
      `${chunk.length.toString(16)}\r\n${chunk}\r\n`.repeat(5) +
      "0\r\n\r\n";
    const r = await rawRequest(suite.port, chunked);
    expect(responses(r.data)[0]?.status).toBe(413);
    await stillServing(suite.port);
  });
});
