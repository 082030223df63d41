/**
 * The Python Mongrel2 handler (written from Mongrel2's documented protocol, sharing nothing with
 * Ferry) behind Ferry's mongrel2 groups, JSON and tnetstring headers: GET, POST, one reply to two
 * connections, close, the disconnect notice; then what Ferry adds: 503 with no handler, 504 when
 * the handler does not answer, and the late reply that follows dropped.
 */
import { connect, type Socket } from "node:net";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getWithHost, startFerryM2, type FerryM2 } from "../support/ferry-m2.js";
import { PYTHON, start, stopAll } from "../support/processes.js";
import { tempDir } from "../support/tmp.js";

const HANDLER = fileURLToPath(new URL("./m2-python-handler.py", import.meta.url));

async function until(fn: () => Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await fn().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 25)); // bounded polling: ZeroMQ connects asynchronously
  }
}

function rawRequest(port: number, text: string): { socket: Socket; response: Promise<string> } {
  const socket = connect(port, "127.0.0.1");
  socket.write(text);
  let data = "";
  socket.on("data", (c: Buffer) => (data += c.toString("latin1")));
  const response = new Promise<string>((resolve, reject) => {
    socket.once("close", () => resolve(data));
    socket.once("error", reject);
  });
  return { socket, response };
}

for (const headers of ["json", "tnetstring"] as const) {
  describe(`Python Mongrel2 handler behind Ferry (${headers} headers)`, () => {
    const tmp = tempDir("ferry-m2py-");
    let ferry: FerryM2;
    let base: string;

    beforeAll(async () => {
      ferry = await startFerryM2(tmp.path, {
        main: { names: ["*"], headers },
        short: { names: ["short.test"], headers, timeout: 300 },
        empty: { names: ["empty.test"], headers },
      });
      base = ferry.url;
      for (const name of ["main", "short"]) {
        const g = ferry.groups[name]!;
        const handler = start(PYTHON, [
          HANDLER,
          "--send-spec",
          g.sendSpec,
          "--recv-spec",
          g.recvSpec,
        ]);
        await handler.waitFor(/ready/);
      }
      await until(
        async () => (await fetch(`${base}/waiting`, { signal: AbortSignal.timeout(500) })).ok,
        "handler reachable",
      );
      await until(
        async () => (await getWithHost(ferry.port, "short.test", "/waiting")).status === 200,
        "short handler reachable",
      );
    });

    afterAll(async () => {
      await stopAll();
      tmp.cleanup();
    });

    it("GET: server keys, query, x-forwarded-for, repeated cookies", async () => {
      const res = await fetch(`${base}/hello?x=1&y=2`, {
        headers: [
          ["cookie", "a=1"],
          ["cookie", "b=2"],
        ],
      });
      expect(res.status).toBe(200);
      const info = (await res.json()) as Record<string, unknown>;
      expect(info).toMatchObject({
        method: "GET",
        path: "/hello",
        query: "x=1&y=2",
        version: "HTTP/1.1",
        pattern: "/",
      });
      expect(info.forwarded).toBe("127.0.0.1");
      expect(info.cookie).toBeDefined();
    });

    it("POST: the body comes back byte for byte", async () => {
      const body = Buffer.from([0, 1, 2, 255, 254, 10, 13, 9]);
      const res = await fetch(`${base}/echo`, { method: "POST", body });
      expect(res.headers.get("content-length")).toBe("8");
      expect(Buffer.from(await res.arrayBuffer())).toEqual(body);
    });

    it("a chunked upload (Mongrel2 answers 413) arrives whole, de-chunked", async () => {
      const { socket, response } = rawRequest(
        ferry.port,
        "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n" +
          "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n",
      );
      const text = await response;
      socket.destroy();
      expect(text).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
      expect(text.endsWith("\r\n\r\nhello world")).toBe(true);
    });

    it("keep-alive: three requests on one connection", async () => {
      const { socket, response } = rawRequest(
        ferry.port,
        "GET /waiting HTTP/1.1\r\nHost: x\r\n\r\nGET /waiting HTTP/1.1\r\nHost: x\r\n\r\nGET /waiting HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
      );
      const text = await response;
      socket.destroy();
      expect(text.match(/HTTP\/1\.1 200 OK/g)).toHaveLength(3);
    });

    it("HEAD answered with a body (as Mongrel2's Python library does), then a pipelined GET", async () => {
      // The handler answers HEAD /hello exactly as GET: a head with Content-Length, and the body.
      const { socket, response } = rawRequest(
        ferry.port,
        "HEAD /hello HTTP/1.1\r\nHost: x\r\n\r\nGET /hello?n=2 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
      );
      const text = await response;
      socket.destroy();
      const heads = [...text.matchAll(/HTTP\/1\.1 (\d{3}) /g)];
      expect(heads.map((m) => m[1])).toEqual(["200", "200"]);
      // Nothing between the HEAD response's head and the next status line: no body.
      expect(text.indexOf("\r\n\r\n") + 4).toBe(heads[1]!.index);
      const second = text.slice(heads[1]!.index);
      expect(JSON.parse(second.slice(second.indexOf("\r\n\r\n") + 4))).toMatchObject({
        method: "GET",
        query: "n=2",
      });
    });

    it("one reply message reaches two connections", async () => {
      const a = fetch(`${base}/wait?tag=a`).then((r) => r.text());
      const b = fetch(`${base}/wait?tag=b`).then((r) => r.text());
      await until(
        async () => (await (await fetch(`${base}/waiting`)).text()) === "2",
        "two waiters",
      );
      expect(await (await fetch(`${base}/broadcast`)).text()).toBe("sent to 2");
      expect(await Promise.all([a, b])).toEqual(["broadcast to 2", "broadcast to 2"]);
    });

    it("an empty reply closes the connection (a close-delimited body ends there)", async () => {
      const { response } = rawRequest(ferry.port, "GET /close HTTP/1.1\r\nHost: localhost\r\n\r\n");
      const text = await response;
      expect(text).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
      expect(text).toMatch(/bye/);
    });

    it("a client that goes away produces the disconnect notice", async () => {
      const { socket } = rawRequest(
        ferry.port,
        "GET /wait?tag=gone HTTP/1.1\r\nHost: localhost\r\n\r\n",
      );
      await until(
        async () => (await (await fetch(`${base}/waiting`)).text()) === "1",
        "one waiter",
      );
      socket.destroy();
      await until(
        async () => (await (await fetch(`${base}/disconnected?tag=gone`)).text()) === "yes",
        "disconnect notice",
      );
    });

    it("no handler connected: 503 at once with Retry-After", async () => {
      const started = Date.now();
      const res = await getWithHost(ferry.port, "empty.test", "/hello");
      expect(res.status).toBe(503);
      expect(res.headers["retry-after"]).toBe("1");
      expect(Date.now() - started).toBeLessThan(1000);
    });

    it("no response within the timeout: 504, and the late reply is dropped", async () => {
      const res = await getWithHost(ferry.port, "short.test", "/wait?tag=late");
      expect(res.status).toBe(504);
      expect(res.headers.connection).toBe("close");
      // The handler still holds the connection and answers it now: nobody receives that.
      // The probes go through the same 300 ms group: on a loaded machine one can time out too,
      // and then it is simply asked again.
      const probe = async (path: string) => {
        let res = await getWithHost(ferry.port, "short.test", path);
        for (let i = 0; i < 5 && res.status === 504; i++)
          res = await getWithHost(ferry.port, "short.test", path);
        return res.body;
      };
      expect(await probe("/broadcast")).toMatch(/^sent to [01]$/);
      expect(await probe("/disconnected?tag=late")).toBe("yes");
    });
  });
}
