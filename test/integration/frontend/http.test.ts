/**
 * The frontend end to end with a real handler process over real ZeroMQ, once per transport:
 * request/response, bodies, HEAD, chunked, HTTP/1.0, keep-alive load, pipelining, one reply to
 * many connections, replies to unknown ids, 504, handler errors, 413, 100-continue.
 */
import { Agent } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stopAll, type Proc } from "../../support/processes.js";
import { tempDir } from "../../support/tmp.js";
import {
  endpointsFor,
  get,
  startFrontend,
  startHandler,
  TRANSPORTS,
  waitLive,
  type FrontendUnderTest,
} from "./harness.js";
import { rawExchange, splitResponses } from "./raw.js";

for (const transport of TRANSPORTS) {
  describe(`frontend over ${transport}`, () => {
    const dir = tempDir();
    let fe: FrontendUnderTest;
    let handler: Proc;

    beforeAll(async () => {
      const endpoints = await endpointsFor(transport, dir.path);
      fe = await startFrontend(
        dir.path,
        endpoints,
        {
          timeout: 600,
          heartbeat: { interval: 200 },
          inlineBodyLimit: 1024,
        },
        { limits: { bodyBytes: 1536 } },
      );
      handler = startHandler(endpoints);
      await waitLive(fe.url);
    });

    afterAll(async () => {
      await stopAll();
      dir.cleanup();
    });

    it("answers a GET with the handler's reply, adding Content-Length", async () => {
      const r = await get(`${fe.url}/echo/a%20b?x=1&y=2`);
      expect(r.status).toBe(200);
      expect(r.headers["content-length"]).toBe(String(Buffer.byteLength(r.body)));
      const body = JSON.parse(r.body) as {
        method: string;
        path: string;
        query: string;
        attempt: number;
      };
      expect(body).toMatchObject({
        method: "GET",
        path: "/echo/a%20b",
        query: "x=1&y=2",
        attempt: 0,
      });
    });

    it("delivers a POST body inline", async () => {
      const r = await get(`${fe.url}/echo`, { method: "POST", body: "name=zed" });
      expect(JSON.parse(r.body)).toMatchObject({ method: "POST", body: "name=zed" });
    });

    it("strips the body of a HEAD reply but keeps its length", async () => {
      const r = await get(`${fe.url}/echo`, { method: "HEAD" });
      expect(r.status).toBe(200);
      expect(r.body).toBe("");
      expect(Number(r.headers["content-length"])).toBeGreaterThan(0);
    });

    it("sends chunked encoding when the reply has no length", async () => {
      const r = await get(`${fe.url}/stream/4`);
      expect(r.headers["transfer-encoding"]).toBe("chunked");
      expect(r.body).toBe("chunk-0\nchunk-1\nchunk-2\nchunk-3\n");
    });

    it("closes after a streamed reply to an HTTP/1.0 client (no chunking)", async () => {
      const r = await rawExchange(fe.port, "GET /stream/2 HTTP/1.0\r\n\r\n", { idleMs: 2000 });
      expect(r.closed).toBe(true);
      expect(r.data).toMatch(/^HTTP\/1\.1 200/);
      expect(r.data).not.toMatch(/transfer-encoding/i);
      expect(r.data.endsWith("chunk-0\nchunk-1\n")).toBe(true);
    });

    it("serves 100 concurrent keep-alive clients with correct bodies", async () => {
      const agent = new Agent({ keepAlive: true, maxSockets: 100 });
      const clients = Array.from({ length: 100 }, async (_, c) => {
        for (let i = 0; i < 5; i++) {
          const r = await get(`${fe.url}/echo/c${c}/i${i}`, { agent });
          expect(r.status).toBe(200);
          expect(JSON.parse(r.body).path).toBe(`/echo/c${c}/i${i}`);
        }
      });
      await Promise.all(clients);
      agent.destroy();
    });

    it("answers pipelined requests in order, whatever order the replies come in", async () => {
      const requests = ["/delay/150", "/echo/2", "/delay/60", "/echo/4"]
        .map((p) => `GET ${p} HTTP/1.1\r\nHost: x\r\n\r\n`)
        .join("");
      const r = await rawExchange(fe.port, requests, {
        until: (d) => splitResponses(d).length === 4,
        idleMs: 3000,
      });
      const paths = splitResponses(r.data).map(
        (x) => (JSON.parse(x.body) as { path: string }).path,
      );
      expect(paths).toEqual(["/delay/150", "/echo/2", "/delay/60", "/echo/4"]);
    });

    it("delivers one reply to many connections", async () => {
      const replies = await Promise.all([1, 2, 3].map(() => get(`${fe.url}/collect/3`)));
      for (const r of replies) expect(r).toMatchObject({ status: 200, body: "all:3" });
    });

    it("drops a reply addressed to an unknown connection, and keeps serving", async () => {
      const r = await get(`${fe.url}/unknown`);
      expect(r.status).toBe(200);
      expect(r.body).not.toContain("WRONG");
      expect((await get(`${fe.url}/echo`)).status).toBe(200);
    });

    it("answers 504 when no reply comes within the timeout, and cancels the handler", async () => {
      const started = Date.now();
      const r = await get(`${fe.url}/never`);
      expect(r.status).toBe(504);
      expect(r.headers["x-ferry-error"]).toBe("FERRY_REPLY_TIMEOUT");
      expect(Date.now() - started).toBeGreaterThanOrEqual(550);
      await handler.waitFor(/event cancel .*"reason":"timeout"/);
    });

    it("maps a handler error to its status", async () => {
      expect((await get(`${fe.url}/error/NOT_FOUND`)).status).toBe(404);
      expect((await get(`${fe.url}/error/SOMETHING_ELSE`)).status).toBe(500);
    });

    it("closes the connection on a close reply", async () => {
      const r = await rawExchange(fe.port, "GET /close HTTP/1.1\r\nHost: x\r\n\r\n", {
        idleMs: 2000,
      });
      expect(r).toEqual({ data: "", closed: true });
    });

    it("refuses a body over limits.bodyBytes with 413, by Content-Length or once chunks cross it", async () => {
      const r = await get(`${fe.url}/echo`, { method: "POST", body: "x".repeat(2000) });
      expect(r.status).toBe(413);
      expect(r.headers["x-ferry-error"]).toBe("FERRY_BODY_TOO_LARGE");
      const chunked = await rawExchange(
        fe.port,
        `POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n800\r\n${"y".repeat(2048)}\r\n0\r\n\r\n`,
        { idleMs: 2000 },
      );
      expect(chunked.data).toMatch(/^HTTP\/1\.1 413/);
    });

    it("honours Expect: 100-continue", async () => {
      const ok = await rawExchange(
        fe.port,
        "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n",
        {
          until: (d) => d.includes("100 Continue"),
        },
      );
      expect(ok.data).toMatch(/^HTTP\/1\.1 100 Continue/);
      const big = await rawExchange(
        fe.port,
        "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\nExpect: 100-continue\r\n\r\n",
        {
          idleMs: 2000,
        },
      );
      expect(big.data).toMatch(/^HTTP\/1\.1 413/);
    });
  });
}
