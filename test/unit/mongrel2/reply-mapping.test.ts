/** Mongrel2 replies -> frontend actions, and Ferry replies -> Mongrel2 replies (M2ReplyWriter). */
import { describe, expect, it } from "vitest";
import type { ReplyMsg } from "../../../protocol/index.js";
import {
  M2ReplyWriter,
  decodeM2Reply,
  encodeM2Ctl,
  m2ReplyActions,
} from "../../../protocol/mongrel2/index.js";
import { UUID, capture } from "./captures.js";

const actions = (bytes: Buffer) => m2ReplyActions(decodeM2Reply(bytes));
const text = (frames: Buffer[]) => frames.map((f) => f.toString("latin1"));

describe("Mongrel2 reply -> actions", () => {
  it("raw bytes, multi-target, close, ctl", () => {
    expect(actions(capture("capture: one reply to connections 14 and 15"))).toEqual([
      { type: "write", ids: [14, 15], data: Buffer.from("PUSHED-TO-BOTH") },
    ]);
    expect(actions(capture("capture: empty body closes"))).toEqual([
      { type: "close", ids: [14, 15] },
    ]);
    expect(actions(capture("capture: extended ctl credits"))).toEqual([
      { type: "credits", ids: [2], bytes: 200 },
    ]);
    expect(actions(encodeM2Ctl("u", [1], { keepAlive: true, cancel: true }))).toEqual([
      { type: "keep-alive", ids: [1] },
      { type: "cancel", ids: [1] },
    ]);
    expect(actions(capture("reply: unknown extended"))[0]).toMatchObject({
      type: "extended",
      name: "sendfile",
    });
  });
});

describe("Ferry reply -> Mongrel2 reply", () => {
  const to = (...conns: number[]) => conns.map((c) => [c, 1, 0] as [number, number, number]);
  const base = { v: 1, hid: "h" };

  it("a one-message reply gets a Content-Length; one frame serves several connections", () => {
    const w = new M2ReplyWriter(UUID);
    const head: ReplyMsg = {
      ...base,
      kind: "head",
      to: to(14, 15),
      status: 200,
      headers: [],
      body: Buffer.from("PUSHED"),
      end: true,
    };
    expect(text(w.encode(head))).toEqual([
      `${UUID} 5:14 15, HTTP/1.1 200 OK\r\ncontent-length: 6\r\n\r\nPUSHED`,
    ]);
  });

  it("a streamed HTTP/1.1 response is chunked; HEAD gets no body and no framing", () => {
    const w = new M2ReplyWriter("u");
    w.begin(1, { method: "GET", version: "HTTP/1.1" });
    w.begin(2, { method: "HEAD", version: "HTTP/1.1" });
    const out = [
      ...w.encode({
        ...base,
        kind: "head",
        to: to(1, 2),
        status: 200,
        headers: [["content-type", "text/plain"]],
      }),
      ...w.encode({ ...base, kind: "data", to: to(1, 2), data: Buffer.from("abc") }),
      ...w.encode({ ...base, kind: "end", to: to(1, 2) }),
    ];
    expect(text(out)).toEqual([
      "u 1:1, HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ntransfer-encoding: chunked\r\n\r\n",
      "u 1:2, HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\n\r\n",
      "u 1:1, 3\r\nabc\r\n",
      "u 1:1, 0\r\n\r\n",
    ]);
  });

  it("HEAD: no body, no Content-Length made up; the body's length or the app's own", () => {
    const w = new M2ReplyWriter("u");
    const head = (conn: number, headers: [string, string][], body?: string): ReplyMsg => ({
      ...base,
      kind: "head",
      to: to(conn),
      status: 200,
      headers,
      ...(body !== undefined && { body: Buffer.from(body) }),
      end: true,
    });
    // A Node app's (node:http wrote no body and no length).
    w.begin(8, { method: "HEAD", version: "HTTP/1.1" });
    expect(text(w.encode(head(8, [])))).toEqual(["u 1:8, HTTP/1.1 200 OK\r\n\r\n"]);
    // A Fetch app's: the GET's body, not sent, its length announced.
    w.begin(9, { method: "HEAD", version: "HTTP/1.1" });
    expect(text(w.encode(head(9, [], "hello")))).toEqual([
      "u 1:9, HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\n",
    ]);
    w.begin(10, { method: "HEAD", version: "HTTP/1.0" });
    expect(text(w.encode(head(10, [["content-length", "42"]])))).toEqual([
      "u 2:10, HTTP/1.0 200 OK\r\ncontent-length: 42\r\n\r\n",
    ]);
  });

  it("an HTTP/1.0 response without a length ends by closing", () => {
    const w = new M2ReplyWriter("u");
    w.begin(3, { method: "GET", version: "HTTP/1.0" });
    const out = [
      ...w.encode({ ...base, kind: "head", to: to(3), status: 200, headers: [] }),
      ...w.encode({ ...base, kind: "data", to: to(3), data: Buffer.from("x"), end: true }),
    ];
    expect(text(out)).toEqual([
      "u 1:3, HTTP/1.0 200 OK\r\nconnection: close\r\n\r\n",
      "u 1:3, x",
      "u 1:3, ",
    ]);
  });

  it("error before anything was sent is a status page; after, a close", () => {
    const w = new M2ReplyWriter("u");
    const page = text(
      w.encode({ ...base, kind: "error", to: to(4), code: "NOT_FOUND", message: "no" }),
    );
    expect(page).toEqual([
      "u 1:4, HTTP/1.1 404 Not Found\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-length: 7\r\n\r\n404 no\n",
    ]);
    w.encode({ ...base, kind: "head", to: to(5), status: 200, headers: [] });
    expect(
      text(w.encode({ ...base, kind: "error", to: to(5), code: "APP_ERROR", message: "x" })),
    ).toEqual(["u 1:5, "]);
  });

  it("close, WebSocket frames and a close frame", () => {
    const w = new M2ReplyWriter("u");
    expect(text(w.encode({ ...base, kind: "close", to: to(6) }))).toEqual(["u 1:6, "]);
    w.encode({
      ...base,
      kind: "head",
      to: to(7),
      status: 101,
      headers: [["upgrade", "websocket"]],
      end: true,
    });
    expect(
      w.encode({ ...base, kind: "ws", to: to(7), data: Buffer.from("hello ws"), binary: false }),
    ).toEqual([
      Buffer.concat([Buffer.from("u 1:7, "), Buffer.from([0x81, 0x08]), Buffer.from("hello ws")]),
    ]);
    const closing = w.encode({ ...base, kind: "close", to: to(7), code: 1000 });
    expect(closing).toEqual([
      Buffer.from([...Buffer.from("u 1:7, "), 0x88, 0x02, 0x03, 0xe8]),
      Buffer.from("u 1:7, "),
    ]);
  });

  it("more than 128 connections are split into several frames", () => {
    const w = new M2ReplyWriter("u");
    const conns = Array.from({ length: 300 }, (_, i) => i + 1);
    const frames = w.encode({ ...base, kind: "data", to: to(...conns), data: Buffer.from("x") });
    expect(frames.map((f) => decodeM2Reply(f).ids.length)).toEqual([128, 128, 44]);
  });
});
