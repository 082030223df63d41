/**
 * How a response ends when the handler says `error` or `close` instead of `end`: before the head
 * was written, `error` is answered with its mapped status and `close` just closes; after it, the
 * response is cut: what was written reaches the client, then the connection is reset. Never a
 * terminating chunk, never a clean close that could pass for a whole body.
 */
import { connect } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import type { Draft, RequestMsg, ToFrontendMsg } from "../../../protocol/index.js";
import { hello, rig, stopRigs, type Rig } from "./group-rig.js";

afterEach(stopRigs);

interface Ending {
  data: string;
  /** The connection ended with a reset (ECONNRESET), not a FIN. */
  reset: boolean;
}

/** One raw keep-alive request; resolves with every byte received and how the connection ended. */
function rawRequest(url: string, head: string): { ended: Promise<Ending> } {
  const { hostname, port } = new URL(url);
  const socket = connect(Number(port), hostname);
  let data = "";
  let reset = false;
  socket.on("data", (c: Buffer) => (data += c.toString("latin1")));
  socket.on("error", (err: NodeJS.ErrnoException) => {
    if (err.code === "ECONNRESET") reset = true;
  });
  socket.write(head);
  return { ended: new Promise((resolve) => socket.on("close", () => resolve({ data, reset }))) };
}

const GET = "GET /x HTTP/1.1\r\nHost: a.test\r\nConnection: keep-alive\r\n\r\n";

async function exchange(
  r: Rig,
  request: string,
  replies: (to: [number, number, number][]) => Draft<ToFrontendMsg>[],
): Promise<Ending> {
  const client = rawRequest(r.url, request);
  const [m] = (await r.requests(1)) as [RequestMsg];
  for (const msg of replies([[m.conn, m.req, m.token]])) r.send(msg);
  return client.ended;
}

const head = (
  to: [number, number, number][],
  headers: [string, string][] = [],
): Draft<ToFrontendMsg> => ({ kind: "head", hid: "a", to, status: 200, headers });
const data = (to: [number, number, number][], text: string): Draft<ToFrontendMsg> => ({
  kind: "data",
  hid: "a",
  to,
  data: Buffer.from(text),
});

describe("error and close before end", () => {
  it("error before the head: the mapped status, the code in x-ferry-error, the connection kept", async () => {
    const r = await rig();
    r.send(hello("a"));
    const { hostname, port } = new URL(r.url);
    const socket = connect(Number(port), hostname);
    let data = "";
    socket.on("data", (c: Buffer) => (data += c.toString("latin1")));
    socket.write(GET);
    const [m] = await r.requests(1);
    r.send({
      kind: "error",
      hid: "a",
      to: [[m!.conn, m!.req, m!.token]],
      code: "NOT_FOUND",
      message: "secret detail",
    });
    const deadline = Date.now() + 2000;
    while (!data.includes("\r\n\r\n{") && Date.now() < deadline)
      await new Promise((res) => setTimeout(res, 5));
    expect(data).toMatch(/^HTTP\/1\.1 404 /);
    expect(data).toMatch(/\r\nx-ferry-error: NOT_FOUND\r\n/i);
    expect(data).not.toContain("secret detail");
    expect(socket.destroyed).toBe(false);
    socket.destroy();
  });

  it("error after a chunked head: the head and chunks written go out, then a reset, no terminating chunk", async () => {
    const r = await rig();
    r.send(hello("a"));
    const end = await exchange(r, GET, (to) => [
      head(to),
      data(to, "part-1"),
      { kind: "error", hid: "a", to, code: "APP_ERROR", message: "boom" },
    ]);
    expect(end.data).toMatch(/^HTTP\/1\.1 200 /);
    expect(end.data).toMatch(/\r\ntransfer-encoding: chunked\r\n/i);
    expect(end.data).toContain("part-1");
    expect(end.data).not.toContain("0\r\n\r\n");
    expect(end.reset).toBe(true);
  });

  it("error after a head with Content-Length and part of the body: a reset after the bytes written", async () => {
    const r = await rig();
    r.send(hello("a"));
    const end = await exchange(r, GET, (to) => [
      head(to, [["content-length", "10"]]),
      data(to, "four"),
      { kind: "error", hid: "a", to, code: "APP_ERROR", message: "boom" },
    ]);
    expect(end.data).toMatch(/^HTTP\/1\.1 200 /);
    expect(end.data.endsWith("\r\n\r\nfour")).toBe(true);
    expect(end.reset).toBe(true);
  });

  it("close after a chunked head on a keep-alive connection: cut like error, no terminating chunk", async () => {
    const r = await rig();
    r.send(hello("a"));
    const end = await exchange(r, GET, (to) => [
      head(to),
      data(to, "part-1"),
      { kind: "close", hid: "a", to },
    ]);
    expect(end.data).toContain("part-1");
    expect(end.data).not.toContain("0\r\n\r\n");
    expect(end.reset).toBe(true);
  });

  it("close before any head: the connection closes with nothing written", async () => {
    const r = await rig();
    r.send(hello("a"));
    const end = await exchange(r, GET, (to) => [{ kind: "close", hid: "a", to }]);
    expect(end.data).toBe("");
  });

  it("close after the head of a HEAD request: the response is whole, then the connection closes", async () => {
    const r = await rig();
    r.send(hello("a"));
    const end = await exchange(r, "HEAD /x HTTP/1.1\r\nHost: a.test\r\n\r\n", (to) => [
      head(to, [["content-length", "5"]]),
      { kind: "close", hid: "a", to },
    ]);
    expect(end.data).toMatch(/^HTTP\/1\.1 200 [^]*content-length: 5\r\n[^]*\r\n\r\n$/i);
    expect(end.reset).toBe(false);
  });
});
