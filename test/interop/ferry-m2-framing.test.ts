/**
 * Ferry's mongrel2 groups against a scripted raw Mongrel2 handler (zeromq + the codec): how raw
 * reply bytes are framed into responses (chunked, pipelined responses in one frame, bytes split
 * across frames), and what is refused or dropped (not HTTP -> 502, another UUID, late bytes
 * after a 504 reaching nobody).
 */
import { connect } from "node:net";
import { Publisher, Pull } from "zeromq";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decodeM2Request, encodeM2Reply, m2Header } from "../../protocol/mongrel2/index.js";
import { startFerryM2, type FerryM2 } from "../support/ferry-m2.js";
import { stopAll } from "../support/processes.js";
import { tempDir } from "../support/tmp.js";

const UUID = "7a1d4c2e-0b3f-4e5a-9c8d-112233445566";
const ok = (body: string, extra = "") =>
  `HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: ${body.length}\r\n${extra}\r\n${body}`;

/** Everything one connection reads until the server closes it or `ms` pass. */
function exchange(port: number, text: string, ms = 3000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1");
    let data = "";
    const timer = setTimeout(() => socket.destroy(), ms);
    socket.on("data", (c: Buffer) => (data += c.toString("latin1")));
    socket.once("close", () => {
      clearTimeout(timer);
      resolve(data);
    });
    socket.once("error", reject);
    socket.write(text);
  });
}

describe("Ferry mongrel2 group: raw reply framing", () => {
  const tmp = tempDir("ferry-m2-framing-");
  let ferry: FerryM2;
  const pull = new Pull();
  const pub = new Publisher();
  /** Connection ids of /hold requests, oldest first. */
  const held: number[] = [];
  /** Connection ids named by `@*` disconnect notices. */
  const disconnected = new Set<number>();
  const send = (ids: number[], body: string | Buffer, uuid = UUID) =>
    pub.send(encodeM2Reply({ uuid, ids, body }));

  async function serve(): Promise<void> {
    for await (const [frame] of pull) {
      const req = decodeM2Request(frame!);
      const path = m2Header(req.headers, "PATH");
      const id = [req.id];
      if (req.path === "@*") {
        disconnected.add(req.id);
        continue;
      }
      if (path === "/chunked") {
        await send(id, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n");
        await send(id, "6\r\n world\r\n0\r\n\r\n");
      } else if (path === "/split") {
        const whole = ok("split across frames");
        await send(id, whole.slice(0, 20));
        await send(id, whole.slice(20));
      } else if (path === "/garbage") await send(id, "this is not http\r\n\r\n");
      else if (path === "/wrong-uuid")
        await send(id, ok("nope"), "00000000-0000-0000-0000-000000000000");
      else if (path === "/hold") held.push(req.id);
      else if (path === "/late") {
        const ids = held.splice(0);
        if (ids.length > 0) await send(ids, ok("late"));
        await send(id, ok(`late reply sent to ${ids.length}`));
      } else if (path === "/two") {
        // A pipelined pair: answer the second request only, as one frame with both responses.
        if (m2Header(req.headers, "QUERY") === "n=2") await send(id, ok("first") + ok("second"));
      } else if (path === "/head-body") {
        // A HEAD answered with its body too, the body in a frame of its own.
        await send(id, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 9\r\n\r\n");
        await send(id, "head body");
      } else if (path === "/whoami") await send(id, ok(String(req.id)));
      else await send(id, ok(`path ${path}`));
    }
  }

  beforeAll(async () => {
    ferry = await startFerryM2(tmp.path, { main: { names: ["*"], sendIdent: UUID, timeout: 400 } });
    pull.connect(ferry.groups.main!.sendSpec);
    pub.connect(ferry.groups.main!.recvSpec);
    void serve();
    // ZeroMQ connects asynchronously: until a request is answered (503 before).
    const deadline = Date.now() + 10_000;
    while ((await fetch(`${ferry.url}/ping`).then((r) => r.status)) !== 200) {
      if (Date.now() > deadline) throw new Error("handler not reachable");
      await new Promise((r) => setTimeout(r, 25)); // bounded polling
    }
  });

  afterAll(async () => {
    pull.close();
    pub.close();
    await stopAll();
    tmp.cleanup();
  });

  it("a chunked reply over two frames is de-chunked and re-framed", async () => {
    expect(await (await fetch(`${ferry.url}/chunked`)).text()).toBe("hello world");
  });

  it("a response head split across frames", async () => {
    const res = await fetch(`${ferry.url}/split`);
    expect(res.headers.get("content-type")).toBe("text/plain");
    expect(await res.text()).toBe("split across frames");
  });

  it("two pipelined responses in one frame reach their two requests, in order", async () => {
    const text = await exchange(
      ferry.port,
      "GET /two?n=1 HTTP/1.1\r\nHost: x\r\n\r\nGET /two?n=2 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    );
    expect(text.match(/HTTP\/1\.1 200 OK/g)).toHaveLength(2);
    expect(text.indexOf("first")).toBeLessThan(text.indexOf("second"));
  });

  it("a body written after a HEAD head, in a later frame, is dropped: the next response is whole", async () => {
    const text = await exchange(
      ferry.port,
      "HEAD /head-body HTTP/1.1\r\nHost: x\r\n\r\nGET /after HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    );
    expect(text.match(/HTTP\/1\.1 200 OK/g)).toHaveLength(2);
    expect(text).not.toMatch(/head body/);
    expect(text).toMatch(/path \/after$/);
  });

  it("bytes that are not an HTTP response: 502", async () => {
    const res = await fetch(`${ferry.url}/garbage`);
    expect(res.status).toBe(502);
    expect(res.headers.get("x-ferry-error")).toBe("FERRY_BAD_REPLY");
  });

  it("a reply under another UUID is dropped (then 504)", async () => {
    expect((await fetch(`${ferry.url}/wrong-uuid`)).status).toBe(504);
  });

  it("after a 504 the connection closes; the late reply reaches nobody", async () => {
    const first = await exchange(ferry.port, "GET /hold HTTP/1.1\r\nHost: x\r\n\r\n");
    expect(first).toMatch(/^HTTP\/1\.1 504 /);
    expect(first).not.toMatch(/late/);
    expect(held).toHaveLength(1);
    expect(await (await fetch(`${ferry.url}/late`)).text()).toBe("late reply sent to 1");
  });

  it("an idle keep-alive connection that closes: the handler gets the disconnect notice", async () => {
    const socket = connect(ferry.port, "127.0.0.1");
    const conn = await new Promise<number>((resolve) => {
      let text = "";
      socket.on("data", (c: Buffer) => {
        text += c.toString("latin1");
        // The whole response: its head, then Content-Length bytes of body.
        const m = /content-length: (\d+)\r\n[\s\S]*?\r\n\r\n([\s\S]*)$/i.exec(text);
        if (m && m[2]!.length === Number(m[1])) resolve(Number(m[2]));
      });
      socket.write("GET /whoami HTTP/1.1\r\nHost: x\r\n\r\n");
    });
    expect(disconnected.has(conn)).toBe(false);
    socket.destroy();
    const deadline = Date.now() + 5000;
    while (!disconnected.has(conn)) {
      if (Date.now() > deadline) throw new Error(`no disconnect notice for ${conn}`);
      await new Promise((r) => setTimeout(r, 25)); // bounded polling: the notice crosses ZeroMQ
    }
  });
});
