/** Ferry request <-> Mongrel2 request: byte-identical to the captures where Mongrel2's order is given. */
import { describe, expect, it } from "vitest";
import type { RequestMsg } from "../../../protocol/index.js";
import {
  decodeM2Request,
  encodeM2Request,
  ferryRequestFromM2,
  m2Credits,
  m2Disconnect,
  m2EventOf,
  m2RequestFromFerry,
  m2UploadNotice,
  m2WebSocketFrame,
  webSocketAccept,
} from "../../../protocol/mongrel2/index.js";
import { TNET_UUID, UUID, capture } from "./captures.js";

function ferryRequest(over: Partial<RequestMsg>): RequestMsg {
  return {
    v: 1,
    kind: "request",
    fid: "f-1",
    conn: 2,
    req: 7,
    token: 0,
    method: "GET",
    target: "/",
    path: "/",
    query: "",
    version: "HTTP/1.1",
    headers: [],
    remote: "127.0.0.1",
    rport: 50000,
    port: 80,
    scheme: "http",
    host: "",
    route: "/",
    group: "app",
    body: new Uint8Array(0),
    ...over,
  };
}

describe("Ferry request -> Mongrel2 request", () => {
  it("reproduces the captured JSON GET byte for byte (headers in Mongrel2's hash order)", () => {
    const msg = ferryRequest({
      target: "/json/sub/path?x=1&y=2",
      path: "/json/sub/path",
      query: "x=1&y=2",
      headers: [
        ["accept", "*/*"],
        ["user-agent", "curl/7.88.1"],
        ["host", "127.0.0.1:26767"],
        ["cookie", "a=1"],
        ["x-forwarded-for", "10.0.0.1"], // replaced by the peer address, as Mongrel2 does
        ["cookie", "b=2"],
      ],
      route: "/json",
    });
    const m2 = m2RequestFromFerry(msg, { uuid: UUID });
    expect(encodeM2Request(m2, "json")).toEqual(capture("capture: GET, JSON"));
  });

  it("reproduces the captured tnetstring POST byte for byte", () => {
    const msg = ferryRequest({
      conn: 3,
      method: "POST",
      target: "/tnet?q=1",
      path: "/tnet",
      query: "q=1",
      headers: [
        ["content-type", "application/x-www-form-urlencoded"],
        ["content-length", "8"],
        ["accept", "*/*"],
        ["user-agent", "curl/7.88.1"],
        ["host", "127.0.0.1:26767"],
      ],
      route: "/tnet",
      body: Buffer.from("name=zed"),
    });
    const m2 = m2RequestFromFerry(msg, { uuid: TNET_UUID, format: "tnetstring" });
    expect(encodeM2Request(m2, "tnetstring")).toEqual(capture("capture: POST, tnetstring"));
  });

  it("reproduces the captured disconnect notices, both formats", () => {
    expect(encodeM2Request(m2Disconnect(UUID, 2), "json")).toEqual(
      capture("capture: @* disconnect, JSON"),
    );
    expect(encodeM2Request(m2Disconnect(TNET_UUID, 3), "tnetstring")).toEqual(
      capture("capture: @* disconnect, tnet"),
    );
  });

  it("reproduces the captured credits notice", () => {
    expect(encodeM2Request(m2Credits(UUID, 1, 43), "json")).toEqual(
      capture("capture: @* DOWNLOAD_CREDITS"),
    );
  });

  it("splits FRAGMENT off the URI and keeps QUERY without it", () => {
    const m2 = m2RequestFromFerry(ferryRequest({ target: "/a?x=1#frag" }), { uuid: UUID });
    const get = (k: string) => m2.headers.find(([n]) => n === k)?.[1];
    expect([get("PATH"), get("URI"), get("QUERY"), get("FRAGMENT")]).toEqual([
      "/a",
      "/a?x=1",
      "x=1",
      "frag",
    ]);
  });

  it("turns a WebSocket upgrade into WEBSOCKET_HANDSHAKE with the accept key as body", () => {
    const msg = ferryRequest({
      conn: 13,
      upgrade: "websocket",
      headers: [["sec-websocket-key", "MDEyMzQ1Njc4OWFiY2RlZg=="]],
    });
    const m2 = m2RequestFromFerry(msg, { uuid: UUID });
    expect(m2.headers.find(([n]) => n === "METHOD")?.[1]).toBe("WEBSOCKET_HANDSHAKE");
    expect(Buffer.from(m2.body).toString()).toBe("BACScCJPNqyz+UBoqMH89VmURoA=");
    expect(webSocketAccept("MDEyMzQ1Njc4OWFiY2RlZg==")).toBe("BACScCJPNqyz+UBoqMH89VmURoA=");
    const frame = m2WebSocketFrame(m2, 9, Buffer.from("pi"));
    expect(frame.headers.find(([n]) => n === "FLAGS")?.[1]).toBe("0x89");
    expect(frame.headers.find(([n]) => n === "METHOD")?.[1]).toBe("WEBSOCKET");
  });

  it("adds the upload headers", () => {
    const m2 = m2RequestFromFerry(
      ferryRequest({ method: "POST", headers: [["content-length", "5000"]] }),
      { uuid: UUID },
    );
    const done = m2UploadNotice(m2UploadNotice(m2, "start", "/tmp/u.1"), "done", "/tmp/u.1");
    const ev = m2EventOf(done, { req: 1 });
    expect(ev).toMatchObject({ type: "upload", stage: "done", file: "/tmp/u.1" });
  });
});

describe("Mongrel2 request -> Ferry events", () => {
  const ev = (name: string) => m2EventOf(decodeM2Request(capture(name)), { req: 5, group: "g" });

  it("an HTTP request becomes a Ferry request", () => {
    const e = ev("capture: GET, JSON");
    expect(e.type).toBe("request");
    const r = (e as { request: RequestMsg }).request;
    expect(r).toMatchObject({
      kind: "request",
      fid: UUID,
      conn: 2,
      req: 5,
      method: "GET",
      target: "/json/sub/path?x=1&y=2",
      path: "/json/sub/path",
      query: "x=1&y=2",
      version: "HTTP/1.1",
      remote: "127.0.0.1",
      scheme: "http",
      host: "127.0.0.1:26767",
      route: "/json",
      group: "g",
    });
    expect(r.headers).toEqual([
      ["x-forwarded-for", "127.0.0.1"],
      ["accept", "*/*"],
      ["user-agent", "curl/7.88.1"],
      ["host", "127.0.0.1:26767"],
      ["cookie", "a=1"],
      ["cookie", "b=2"],
    ]);
  });

  it("tnetstring POST keeps its body", () => {
    const e = ev("capture: POST, tnetstring");
    const r = (e as { request: RequestMsg }).request;
    expect([r.method, Buffer.from(r.body ?? []).toString()]).toEqual(["POST", "name=zed"]);
  });

  it("classifies the notices and frames", () => {
    expect(ev("capture: @* disconnect, JSON")).toMatchObject({
      type: "disconnect",
      message: { kind: "disconnect", conn: 2 },
    });
    expect(ev("capture: @* disconnect, tnet")).toMatchObject({
      type: "disconnect",
      message: { conn: 3 },
    });
    expect(ev("capture: @* DOWNLOAD_CREDITS")).toMatchObject({
      type: "credits",
      conn: 1,
      bytes: 43,
    });
    expect(ev("capture: upload start")).toMatchObject({
      type: "upload",
      stage: "start",
      file: "/tmp/upload.99tUVH",
    });
    expect(ev("capture: upload done")).toMatchObject({
      type: "upload",
      stage: "done",
      file: "/tmp/upload.99tUVH",
    });
    expect(ev("capture: JSON socket")).toMatchObject({
      type: "message",
      path: "@chat",
      method: "JSON",
    });
    expect(ev("capture: WEBSOCKET_HANDSHAKE")).toMatchObject({
      type: "websocket-handshake",
      accept: "BACScCJPNqyz+UBoqMH89VmURoA=",
      request: { upgrade: "websocket", method: "GET" },
    });
    expect(ev("capture: WEBSOCKET frame")).toMatchObject({
      type: "websocket",
      conn: 13,
      opcode: 1,
      fin: true,
    });
    expect(ev("capture shape: UPLOAD_STREAM")).toMatchObject({
      type: "stream",
      offset: 150,
      done: false,
    });
    expect(ev("capture shape: last UPLOAD_STREAM")).toMatchObject({
      type: "stream",
      offset: 250,
      done: true,
    });
  });

  it("a client's upload-done that differs from upload-start is no done notice", () => {
    const req = decodeM2Request(capture("capture: upload done"));
    req.headers = req.headers.map(([n, v]) => [
      n,
      n === "x-mongrel2-upload-done" ? "/etc/passwd" : v,
    ]);
    // On a spooled body, Mongrel2 wrote -start itself: this is the start notice, not a request.
    expect(m2EventOf(req, { req: 1 })).toMatchObject({ type: "upload", stage: "start" });
  });

  it("upload headers a client sent with a body Mongrel2 kept inline are a plain request", () => {
    const req = decodeM2Request(capture("capture: upload done"));
    req.body = Buffer.from("abc");
    req.headers = req.headers.map(([n, v]) => [n, n === "content-length" ? "3" : v]);
    expect(m2EventOf(req, { req: 1 }).type).toBe("request");
    req.body = new Uint8Array(0);
    req.headers = req.headers.map(([n, v]) => [n, n === "content-length" ? "0" : v]);
    expect(m2EventOf(req, { req: 1 }).type).toBe("request");
  });

  it("round-trips a Ferry request through Mongrel2's form", () => {
    const msg = ferryRequest({
      method: "PUT",
      target: "/x?y=1",
      path: "/x",
      query: "y=1",
      headers: [
        ["a", "1"],
        ["a", "2"],
      ],
    });
    const back = ferryRequestFromM2(m2RequestFromFerry(msg, { uuid: "u" }), {
      req: 7,
      group: "app",
    });
    expect(back).toMatchObject({
      method: "PUT",
      target: "/x?y=1",
      path: "/x",
      query: "y=1",
      conn: 2,
      route: "/",
    });
    expect(back.headers).toEqual([
      ["x-forwarded-for", "127.0.0.1"],
      ["a", "1"],
      ["a", "2"],
    ]);
  });
});
