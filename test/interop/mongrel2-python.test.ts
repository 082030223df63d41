/**
 * The Python Mongrel2 handler (written from Mongrel2's documented protocol, sharing nothing with
 * Ferry) behind a real Mongrel2 1.12, JSON and tnetstring headers: GET, POST, one reply to two
 * connections, close, and the disconnect notice. The same handler later runs behind Ferry.
 */
import { connect, type Socket } from "node:net";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startMongrel2, type Mongrel2Server } from "../support/mongrel2.js";
import { freePorts } from "../support/ports.js";
import { PYTHON, start, stopAll } from "../support/processes.js";

const HANDLER = fileURLToPath(new URL("./m2-python-handler.py", import.meta.url));

/** Poll `fn` until it returns true (bounded: ZeroMQ connects asynchronously). */
async function until(fn: () => Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await fn().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** One raw HTTP/1.1 request on its own connection; resolves with everything read until close. */
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

for (const protocol of ["json", "tnetstring"] as const) {
  describe(`Python Mongrel2 handler behind Mongrel2 1.12 (${protocol} headers)`, () => {
    let m2: Mongrel2Server;
    let base: string;

    beforeAll(async () => {
      const [sendPort, recvPort] = await freePorts(2);
      const sendSpec = `tcp://127.0.0.1:${sendPort}`;
      const recvSpec = `tcp://127.0.0.1:${recvPort}`;
      m2 = await startMongrel2({
        routes: {
          "/": { sendSpec, recvSpec, sendIdent: "54c6755b-9628-40a4-9a2d-cc82a816345e", protocol },
        },
      });
      base = m2.url;
      const handler = start(PYTHON, [HANDLER, "--send-spec", sendSpec, "--recv-spec", recvSpec]);
      await handler.waitFor(/ready/);
      // The handler's PULL and PUB connect asynchronously: retry until a request comes back.
      await until(
        async () => (await fetch(`${base}/waiting`, { signal: AbortSignal.timeout(500) })).ok,
        "handler reachable",
      );
    });

    afterAll(async () => {
      await m2?.stop();
      await stopAll();
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
      expect(Buffer.from(await res.arrayBuffer())).toEqual(body);
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

    it("an empty reply closes the connection", async () => {
      const { response } = rawRequest(m2.port, "GET /close HTTP/1.1\r\nHost: localhost\r\n\r\n");
      const text = await response;
      expect(text).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
      expect(text.endsWith("\r\n\r\nbye")).toBe(true);
    });

    it("a client that goes away produces the disconnect notice", async () => {
      const { socket } = rawRequest(
        m2.port,
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
  });
}
