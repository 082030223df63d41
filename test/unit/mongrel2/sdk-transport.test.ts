/**
 * The SDK's mongrel2-mode transport over an in-memory inner transport: one request per
 * connection at a time, in order, each reply framed for its own request; stale replies dropped;
 * a disconnect drops what waits. And where a chrooted Mongrel2's spooled uploads are.
 */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  decodeToHandler,
  encodeToFrontend,
  type Draft,
  type ReplyMsg,
  type RequestMsg,
} from "../../../protocol/index.js";
import { encodeM2Request, m2Disconnect } from "../../../protocol/mongrel2/index.js";
import { Mongrel2Transport } from "../../../handler/mongrel2/transport.js";
import { SpoolPathError, spooledPath } from "../../../handler/mongrel2/spooled-upload.js";
import { MemoryTransport } from "../../../handler/transport/memory.js";

const UUID = "u-1";

function m2(id: number, method: string, path: string, version = "HTTP/1.1"): Buffer {
  return encodeM2Request({
    uuid: UUID,
    id,
    path,
    headers: [
      ["PATH", path],
      ["METHOD", method],
      ["VERSION", version],
      ["URI", path],
      ["PATTERN", "/"],
    ],
    body: new Uint8Array(0),
  });
}

function rig() {
  const inner = new MemoryTransport();
  const transport = new Mongrel2Transport([], { inner });
  const requests: RequestMsg[] = [];
  const events: unknown[] = [];
  transport.start("h", {
    request: (p) => requests.push(decodeToHandler(p) as RequestMsg),
    event: (p) => events.push(decodeToHandler(p)),
    peer: () => {},
    malformed: () => {},
  });
  const frames = () => inner.published.map((f) => f.payload.toString("latin1"));
  const reply = (msg: Draft<ReplyMsg>) =>
    transport.publish(UUID, encodeToFrontend({ v: 2, ...msg } as ReplyMsg));
  const ok = (req: RequestMsg, body: string) =>
    reply({
      kind: "head",
      hid: "h",
      to: [[req.conn, req.req, req.token]],
      status: 200,
      headers: [],
      body: Buffer.from(body),
      end: true,
    });
  return { inner, requests, events, frames, reply, ok };
}

const tick = () => new Promise<void>((r) => queueMicrotask(r));

describe("Mongrel2Transport: requests of one connection in order", () => {
  it("a pipelined request waits for the response before it, and is framed for itself", async () => {
    const r = rig();
    r.inner.request(m2(1, "GET", "/slow"));
    r.inner.request(m2(1, "HEAD", "/fast", "HTTP/1.0"));
    r.inner.request(m2(2, "GET", "/other"));
    expect(r.requests.map((q) => q.target)).toEqual(["/slow", "/other"]);
    r.ok(r.requests[1]!, "other");
    r.ok(r.requests[0]!, "slow");
    await tick();
    expect(r.requests.map((q) => q.target)).toEqual(["/slow", "/other", "/fast"]);
    r.ok(r.requests[2]!, "fast");
    expect(r.frames()).toEqual([
      `${UUID} 1:2, HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\nother`,
      `${UUID} 1:1, HTTP/1.1 200 OK\r\ncontent-length: 4\r\n\r\nslow`,
      `${UUID} 1:1, HTTP/1.0 200 OK\r\ncontent-length: 4\r\n\r\n`,
    ]);
  });

  it("a reply to a request that is not its connection's current one is dropped", async () => {
    const r = rig();
    r.inner.request(m2(1, "GET", "/a"));
    r.inner.request(m2(1, "GET", "/b"));
    const [a] = r.requests;
    r.ok(a!, "a");
    r.ok(a!, "late"); // a is finished: this would land on b
    await tick();
    const b = r.requests[1]!;
    r.ok({ ...b, req: b.req + 1 }, "no such request");
    r.ok(b, "b");
    expect(r.frames().map((f) => f.slice(f.indexOf("\r\n\r\n") + 4))).toEqual(["a", "b"]);
  });

  it("a disconnect drops what waits and reaches the app", async () => {
    const r = rig();
    r.inner.request(m2(1, "GET", "/a"));
    r.inner.request(m2(1, "GET", "/b"));
    r.inner.request(encodeM2Request(m2Disconnect(UUID, 1)));
    expect(r.events).toMatchObject([{ kind: "disconnect", conn: 1 }]);
    r.ok(r.requests[0]!, "a");
    await tick();
    expect(r.requests.map((q) => q.target)).toEqual(["/a"]);
    expect(r.frames()).toEqual([]);
  });
});

describe("Mongrel2Transport: what mongrel2 mode refuses", () => {
  it("a streamed upload (upload.stream) is answered 413, not given to the app in pieces", () => {
    const r = rig();
    const first = encodeM2Request({
      uuid: UUID,
      id: 3,
      path: "/up",
      headers: [
        ["PATH", "/up"],
        ["METHOD", "POST"],
        ["VERSION", "HTTP/1.1"],
        ["URI", "/up"],
        ["UPLOAD_STREAM", "0"],
      ],
      body: Buffer.from("part"),
    });
    r.inner.request(first);
    expect(r.requests).toEqual([]);
    expect(r.frames()[0]).toMatch(/^u-1 1:3, HTTP\/1\.1 413 Payload Too Large\r\n/);
  });
});

describe("spooledPath", () => {
  it("is Mongrel2's path without a chroot, under the chroot with one", () => {
    expect(spooledPath("/tmp/upload.x", undefined)).toBe("/tmp/upload.x");
    expect(spooledPath("/uploads/upload.x", "/srv/m2")).toBe(join("/srv/m2", "uploads/upload.x"));
    expect(spooledPath("uploads/upload.x", "/srv/m2")).toBe(join("/srv/m2", "uploads/upload.x"));
  });

  it("refuses a path that leaves the chroot", () => {
    expect(() => spooledPath("/../etc/passwd", "/srv/m2")).toThrow(SpoolPathError);
    expect(() => spooledPath("../../etc/passwd", "/srv/m2")).toThrow(SpoolPathError);
  });
});
