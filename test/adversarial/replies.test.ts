/**
 * Replies that lie about their length, or fail after their head: the frontend owns response
 * framing. A keep-alive connection never carries more bytes than its response declared, never
 * loses the next response to a short one, and a response that cannot finish never looks
 * complete (its head, then a reset). Raw clients see the exact bytes.
 */
import { connect as tlsConnect } from "node:tls";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RequestMsg } from "../../protocol/index.js";
import type { SerialPublisher } from "../support/serial-publisher.js";
import {
  HID,
  rawRequest,
  responses,
  script,
  startSuite,
  stillServing,
  type Suite,
} from "./harness.js";

type Send = SerialPublisher["send"];
/** 104 bytes shaped like a response of their own: they must never reach a client. */
const SMUGGLED = "HTTP/1.1 200 OK\r\ncontent-length: 8\r\nx-smuggled: yes\r\n\r\nSMUGGLED".padEnd(
  104,
  "!",
);

function head(r: RequestMsg, send: Send, headers: [string, string][], extra = {}): void {
  send(r.fid, {
    kind: "head",
    hid: HID,
    to: [[r.conn, r.req, r.token]],
    status: 200,
    headers,
    ...extra,
  });
}
const data = (r: RequestMsg, send: Send, bytes: string) =>
  send(r.fid, { kind: "data", hid: HID, to: [[r.conn, r.req, r.token]], data: Buffer.from(bytes) });
const end = (r: RequestMsg, send: Send) =>
  send(r.fid, { kind: "end", hid: HID, to: [[r.conn, r.req, r.token]] });

script("cl-more", (r, send) => {
  head(r, send, [["content-length", "5"]]);
  data(r, send, "12345" + SMUGGLED);
  end(r, send);
});
script("cl-less", (r, send) => {
  head(r, send, [["content-length", "100"]]);
  data(r, send, "12345");
  end(r, send);
});
script("whole-lie", (r, send) =>
  head(r, send, [["content-length", "100"]], { body: Buffer.from("hello"), end: true }),
);
script("head-len", (r, send) => head(r, send, [["content-length", "100"]], { end: true }));
for (const [name, headers] of [
  ["cl-abc", [["content-length", "abc"]]],
  [
    "cl-conflict",
    [
      ["content-length", "5"],
      ["Content-Length", "6"],
    ],
  ],
  ["cl-list", [["content-length", "5, 6"]]],
  ["te-gzip", [["transfer-encoding", "gzip"]]],
  [
    "te-twice",
    [
      ["transfer-encoding", "chunked"],
      ["transfer-encoding", "chunked"],
    ],
  ],
  [
    "te-cl",
    [
      ["transfer-encoding", "chunked"],
      ["content-length", "5"],
    ],
  ],
  ["bad-value", [["x-bad", "a\r\nx-injected: 1"]]],
] as Array<[string, [string, string][]]>) {
  script(name, (r, send) => head(r, send, headers, { body: Buffer.from("hello"), end: true }));
}
script("err-chunked", (r, send) => {
  head(r, send, [["content-type", "text/plain"]]);
  data(r, send, "partial");
  send(r.fid, {
    kind: "error",
    hid: HID,
    to: [[r.conn, r.req, r.token]],
    code: "APP_ERROR",
    message: "x",
  });
});
script("err-length", (r, send) => {
  head(r, send, [["content-length", "100"]]);
  data(r, send, "0123456789");
  send(r.fid, {
    kind: "error",
    hid: HID,
    to: [[r.conn, r.req, r.token]],
    code: "APP_ERROR",
    message: "x",
  });
});

const GET = (path: string) => `GET ${path} HTTP/1.1\r\nHost: x\r\n\r\n`;
const MARKER = "GET /h/echo/marker HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
/**
 * How a cut connection ends. The frontend resets it; a client that had not read the last bytes
 * yet when the reset arrived is told EOF instead by its kernel. Either way it is not open, and
 * the response's own framing shows it incomplete (what the assertions check).
 */
const CUT = ["reset", "eof"];

describe("response framing", () => {
  let suite: Suite;
  beforeAll(async () => {
    suite = await startSuite();
  });
  afterAll(() => suite.stop());

  it("sends no more than the declared length, and closes instead of sending the rest", async () => {
    const r = await rawRequest(suite.port, GET("/h/cl-more") + MARKER);
    const [first, ...rest] = responses(r.data);
    expect(first?.status).toBe(200);
    expect(first?.body).toBe("12345");
    expect(r.data).not.toContain("SMUGGLED");
    expect(r.data).not.toContain("x-smuggled");
    // The connection closed after the declared bytes: the marker is not answered on it.
    expect(rest).toEqual([]);
    expect(r.end).not.toBe("open");
    await stillServing(suite.port);
  });

  it("cuts a response shorter than its declared length (head, then a reset)", async () => {
    const r = await rawRequest(suite.port, GET("/h/cl-less") + MARKER);
    expect(r.data).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(r.data).toMatch(/\r\ncontent-length: 100\r\n/);
    expect(r.data.endsWith("\r\n\r\n12345")).toBe(true);
    expect(CUT).toContain(r.end);
    await stillServing(suite.port);
  });

  it("frames a whole reply by its own bytes, whatever Content-Length the handler wrote", async () => {
    const r = await rawRequest(suite.port, GET("/h/whole-lie") + MARKER);
    const [first, second] = responses(r.data);
    expect(first?.head).toMatch(/\r\ncontent-length: 5(\r\n|$)/);
    expect(first?.body).toBe("hello");
    expect(second?.status).toBe(200);
    expect(second?.body).toContain('"path":"/h/echo/marker"');
  });

  it("keeps a HEAD answer's declared length (no body is sent)", async () => {
    const r = await rawRequest(suite.port, "HEAD /h/head-len HTTP/1.1\r\nHost: x\r\n\r\n" + MARKER);
    expect(r.data).toMatch(/^HTTP\/1\.1 200 OK\r\n[^]*content-length: 100\r\n/);
    const marker = r.data.slice(r.data.indexOf("\r\n\r\n") + 4);
    expect(marker).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(marker).toContain('"path":"/h/echo/marker"');
  });

  for (const name of [
    "cl-abc",
    "cl-conflict",
    "cl-list",
    "te-gzip",
    "te-twice",
    "te-cl",
    "bad-value",
  ]) {
    it(`answers 502 FERRY_BAD_REPLY (with its own reason phrase) to a head with ${name}`, async () => {
      const r = await rawRequest(suite.port, GET(`/h/${name}`) + MARKER);
      const [first, second] = responses(r.data);
      expect(first?.head).toMatch(/^HTTP\/1\.1 502 Bad Gateway\r\n/);
      expect(first?.head).toMatch(/\r\nx-ferry-error: FERRY_BAD_REPLY\r\n/);
      expect(r.data).not.toContain("hello");
      expect(r.data).not.toContain("x-injected");
      // The connection stays in step: the next response is the marker's.
      expect(second?.status).toBe(200);
      expect(second?.body).toContain('"path":"/h/echo/marker"');
    });
  }

  for (const [name, framing] of [
    ["err-chunked", "chunked"],
    ["err-length", "content-length"],
  ] as const) {
    it(`a ${framing} response whose handler fails after the head is cut, never completed`, async () => {
      const r = await rawRequest(suite.port, GET(`/h/${name}`) + MARKER);
      expect(r.data).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
      if (framing === "chunked") {
        expect(r.data).toMatch(/\r\ntransfer-encoding: chunked\r\n/i);
        expect(r.data).toContain("partial");
        expect(r.data).not.toContain("\r\n0\r\n\r\n");
      } else {
        expect(r.data.endsWith("\r\n\r\n0123456789")).toBe(true);
      }
      expect(CUT).toContain(r.end);
      expect(r.data).not.toContain("/h/echo/marker");
    });
  }

  it("still serves every route kind afterwards", async () => {
    await stillServing(suite.port);
    const r = await rawRequest(
      suite.port,
      "GET /proxy/p HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    );
    expect(responses(r.data)[0]?.body).toBe("upstream /p 0");
  });
});

describe("response framing over TLS", () => {
  let suite: Suite;
  beforeAll(async () => {
    suite = await startSuite({ tls: true });
  });
  afterAll(() => suite.stop());

  it("cuts a response that fails after its head on a TLS connection too", async () => {
    const socket = tlsConnect({
      port: suite.tlsPort!,
      host: "127.0.0.1",
      rejectUnauthorized: false,
    });
    let data = "";
    socket.on("data", (c: Buffer) => (data += c.toString("latin1")));
    socket.on("error", () => {});
    await new Promise((r) => socket.once("secureConnect", r));
    socket.write(GET("/h/err-length") + MARKER);
    await new Promise((r) => socket.once("close", r));
    expect(data).toMatch(/^HTTP\/1\.1 200 OK\r\n[^]*content-length: 100\r\n/);
    expect(data.endsWith("\r\n\r\n0123456789")).toBe(true);
    await stillServing(suite.port);
  });
});
