/**
 * Writes protocol/vectors/ferry-valid.json and ferry-invalid.json. Run: npx tsx test/conformance/generate-vectors.ts
 * Canonical vectors are encoded by the real encoder and checked against an independent writer;
 * decode-only and invalid vectors are written byte by byte with msgpack-writer.ts.
 */
import { writeFileSync } from "node:fs";
import {
  decodeToFrontend,
  decodeToHandler,
  encodeToFrontend,
  encodeToHandler,
  isProtocolError,
  ToFrontendSchema,
  ToHandlerSchema,
  type Draft,
  type ToFrontendMsg,
  type ToHandlerMsg,
} from "../../protocol/index.js";
import { Entries, Float, hex, pack, raw } from "./msgpack-writer.js";
import {
  toJsonValue,
  VECTORS_DIR,
  type Direction,
  type InvalidVector,
  type ValidVector,
} from "./vector-json.js";

const bytes = (...b: number[]) => Uint8Array.from(b);
const text = (s: string) => new Uint8Array(Buffer.from(s, "utf8"));
const filled = (n: number, seed: number) =>
  Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed) & 0xff);

const FID = "web-1-8f3a2c";
const HID = "py-7d2e01";
/** A handler's secret: 32 bytes here; any 16..64 are valid. */
const SECRET = filled(32, 7);
/** Request tokens: random 0..2^53-1 on the wire; fixed here so the bytes are stable. */
const TOKEN = 5_261_007_164_219_617;
const TOKEN2 = 917_442;

const get: Draft<ToHandlerMsg> = {
  kind: "request",
  fid: FID,
  conn: 1,
  req: 1,
  token: TOKEN,
  method: "GET",
  target: "/",
  path: "/",
  query: "",
  version: "HTTP/1.1",
  headers: [["host", "example.com"]],
  remote: "127.0.0.1",
  rport: 51234,
  port: 8080,
  scheme: "http",
  host: "example.com",
  route: "",
  group: "app",
};
const post = (body: Uint8Array, extra: object = {}): Draft<ToHandlerMsg> => ({
  ...get,
  conn: 7,
  req: 12,
  method: "POST",
  target: "/api/items?x=1&y=2",
  path: "/api/items",
  query: "x=1&y=2",
  headers: [
    ["host", "example.com"],
    ["content-type", "application/octet-stream"],
    ["content-length", String(body.length)],
  ],
  token: TOKEN2,
  route: "/api",
  body,
  ...extra,
});
const to1: [number, number, number][] = [[7, 12, TOKEN2]];

const valid: ValidVector[] = [];
const invalid: InvalidVector[] = [];

function canonical(name: string, direction: Direction, msg: object, note?: string): void {
  const encoded =
    direction === "to-handler"
      ? encodeToHandler(msg as Draft<ToHandlerMsg>)
      : encodeToFrontend(msg as Draft<ToFrontendMsg>);
  const value = { v: 2, ...msg };
  if (hex(encoded) !== hex(pack(value))) throw new Error(`${name}: encoder and writer disagree`);
  valid.push({
    name,
    direction,
    value: toJsonValue(decode(direction, encoded)),
    hex: hex(encoded),
    ...(note ? { note } : {}),
  });
}

function decode(direction: Direction, b: Uint8Array): unknown {
  return direction === "to-handler" ? decodeToHandler(b) : decodeToFrontend(b);
}

/** A valid vector whose bytes a v2 encoder would not write (`value` is what decoders return). */
function decodeOnly(name: string, direction: Direction, wire: unknown, note: string): void {
  const b = pack(wire);
  valid.push({
    name,
    direction,
    value: toJsonValue(decode(direction, b)),
    hex: hex(b),
    canonical: false,
    note,
  });
}

function bad(
  name: string,
  direction: Direction,
  wire: unknown,
  error: string,
  note?: string,
): void {
  const b = wire instanceof Uint8Array ? wire : pack(wire);
  try {
    decode(direction, b);
  } catch (err) {
    if (!isProtocolError(err) || err.code !== error) throw new Error(`${name}: got ${String(err)}`);
    invalid.push({ name, direction, hex: hex(b), error, ...(note ? { note } : {}) });
    return;
  }
  throw new Error(`${name}: decoded`);
}

// ------------------------------------------------------------------ valid, to-handler
canonical("request: minimal GET, required fields only", "to-handler", get);
canonical("request: POST with inline body", "to-handler", post(text('{"name":"ferry"}')));
canonical("request: empty inline body", "to-handler", post(new Uint8Array(0)));
canonical(
  "request: binary non-UTF-8 body",
  "to-handler",
  post(bytes(0xff, 0xfe, 0x00, 0x80, 0xc0, 0xc1, 0xed, 0xa0, 0x80)),
);
canonical("request: 70 KiB body (bin32)", "to-handler", post(filled(70 * 1024, 1)));
canonical("request: 300-byte body (bin16)", "to-handler", post(filled(300, 2)));
canonical("request: duplicate headers kept in order", "to-handler", {
  ...get,
  headers: [
    ["host", "example.com"],
    ["cookie", "a=1"],
    ["accept", "*/*"],
    ["cookie", "b=2"],
    ["x-empty", ""],
  ],
});
canonical("request: unicode in path, query and headers", "to-handler", {
  ...get,
  target: "/caf%C3%A9?q=%E2%82%AC",
  path: "/caf%C3%A9",
  query: "q=%E2%82%AC",
  headers: [["x-name", "Zoë 🚢 渡し船"]],
  host: "bücher.example",
});
canonical("request: streamed body with window, timeout, attempt", "to-handler", {
  ...post(new Uint8Array(0)),
  body: undefined,
  stream: true,
  length: 10_485_760,
  window: 262_144,
  timeout: 30_000,
  attempt: 1,
});
canonical("request: websocket upgrade over https, HTTP/1.0 host-less", "to-handler", {
  ...get,
  version: "HTTP/1.0",
  scheme: "https",
  host: "",
  headers: [],
  remote: "::1",
  upgrade: "websocket",
});
canonical("request: 64-bit ids (2^32+1 and 2^53-1)", "to-handler", {
  ...get,
  conn: 2 ** 32 + 1,
  req: Number.MAX_SAFE_INTEGER,
});
canonical("request: ids at uint32 max and 0, token 0", "to-handler", {
  ...get,
  conn: 0xffffffff,
  req: 0,
  token: 0,
  rport: 0,
});
canonical("request: absolute-form target (host from the authority)", "to-handler", {
  ...get,
  target: "http://example.com:8080/p?q=1",
  path: "/p",
  query: "q=1",
  host: "example.com:8080",
  port: 8080,
});
canonical("request: fid of 128 bytes (limit)", "to-handler", { ...get, fid: "f".repeat(128) });
canonical("request: header value of 65536 bytes (limit, str32)", "to-handler", {
  ...get,
  headers: [["x-big", "v".repeat(65_536)]],
});
canonical("request: 1000 headers (limit)", "to-handler", {
  ...get,
  headers: Array.from({ length: 1000 }, (_, i): [string, string] => [`x-h${i}`, String(i)]),
});
canonical("body: chunk", "to-handler", {
  kind: "body",
  fid: FID,
  conn: 7,
  req: 12,
  data: text("chunk-1"),
});
canonical("body: last chunk, empty", "to-handler", {
  kind: "body",
  fid: FID,
  conn: 7,
  req: 12,
  data: new Uint8Array(0),
  end: true,
});
canonical("ws: text message from client", "to-handler", {
  kind: "ws",
  fid: FID,
  conn: 9,
  req: 3,
  data: text("hé"),
  binary: false,
});
canonical("ws: binary message from client", "to-handler", {
  kind: "ws",
  fid: FID,
  conn: 9,
  req: 3,
  data: bytes(0, 1, 255),
  binary: true,
});
canonical("disconnect: connection only", "to-handler", { kind: "disconnect", fid: FID, conn: 9 });
canonical("disconnect: with request and websocket close", "to-handler", {
  kind: "disconnect",
  fid: FID,
  conn: 9,
  req: 3,
  code: 1001,
  reason: "going away",
});
canonical("credit: client drained 64 KiB", "to-handler", {
  kind: "credit",
  fid: FID,
  conn: 7,
  req: 12,
  bytes: 65_536,
});
canonical("cancel: after timeout", "to-handler", {
  kind: "cancel",
  fid: FID,
  conn: 7,
  req: 12,
  reason: "timeout",
});

// ------------------------------------------------------------------ valid, to-frontend
const hello = { kind: "hello", hid: HID, secret: SECRET, capacity: 16, inflight: 0 };
canonical("hello: required fields", "to-frontend", hello);
canonical("hello: with interval, batch and agent", "to-frontend", {
  ...hello,
  interval: 1000,
  batch: 64,
  agent: "ferry-wsgi/0.1",
});
canonical("heartbeat", "to-frontend", {
  ...hello,
  kind: "heartbeat",
  inflight: 3,
  interval: 1000,
  batch: 32,
  agent: "ferry-ts/0.1",
});
canonical("hello: smallest secret (16 bytes), interval, capacity and batch", "to-frontend", {
  ...hello,
  secret: filled(16, 3),
  capacity: 1,
  interval: 100,
  batch: 1,
});
canonical("hello: largest secret (64 bytes), interval, capacity and batch", "to-frontend", {
  ...hello,
  secret: filled(64, 5),
  capacity: 65_536,
  interval: 60_000,
  batch: 1_024,
});
canonical("claim", "to-frontend", { kind: "claim", hid: HID, conn: 7, req: 12, token: TOKEN2 });
canonical("claim: token 0 and 2^53-1", "to-frontend", {
  kind: "claim",
  hid: HID,
  conn: 7,
  req: 12,
  token: Number.MAX_SAFE_INTEGER,
});
canonical("head: fast reply, whole body and end", "to-frontend", {
  kind: "head",
  hid: HID,
  to: to1,
  status: 200,
  headers: [["content-type", "text/plain; charset=utf-8"]],
  body: text("Hello, world!\n"),
  end: true,
});
canonical("head: with the app's reason phrase", "to-frontend", {
  kind: "head",
  hid: HID,
  to: to1,
  status: 200,
  reason: "Everything Is Fine",
  headers: [],
  body: text("ok"),
  end: true,
});
canonical("head: reason of 512 bytes (limit)", "to-frontend", {
  kind: "head",
  hid: HID,
  to: to1,
  status: 404,
  reason: "r".repeat(512),
  headers: [],
});
canonical("head: status and headers only, duplicate set-cookie", "to-frontend", {
  kind: "head",
  hid: HID,
  to: to1,
  status: 201,
  headers: [
    ["set-cookie", "a=1"],
    ["set-cookie", "b=2"],
  ],
});
canonical("head: status 100 and 999 limits (999)", "to-frontend", {
  kind: "head",
  hid: HID,
  to: to1,
  status: 999,
  headers: [],
});
canonical("head: broadcast to 20 connections", "to-frontend", {
  kind: "head",
  hid: HID,
  to: Array.from({ length: 20 }, (_, i): [number, number, number] => [i + 1, i + 1, i * 7919]),
  status: 200,
  headers: [],
  body: new Uint8Array(0),
  end: true,
});
canonical("head: 64-bit targets", "to-frontend", {
  kind: "head",
  hid: HID,
  to: [[Number.MAX_SAFE_INTEGER, 2 ** 40, 0]],
  status: 204,
  headers: [],
  end: true,
});
canonical("data: chunk", "to-frontend", {
  kind: "data",
  hid: HID,
  to: to1,
  data: text("part 1\n"),
});
canonical("data: binary last chunk to two connections", "to-frontend", {
  kind: "data",
  hid: HID,
  to: [
    [14, 1, TOKEN],
    [15, 1, TOKEN2],
  ],
  data: bytes(0x89, 0x50, 0x4e, 0x47, 0xff),
  end: true,
});
canonical("end", "to-frontend", { kind: "end", hid: HID, to: to1 });
canonical("close: minimal", "to-frontend", { kind: "close", hid: HID, to: to1 });
canonical("close: websocket close code and reason", "to-frontend", {
  kind: "close",
  hid: HID,
  to: to1,
  code: 1000,
  reason: "bye",
});
canonical("ws: reply, text", "to-frontend", {
  kind: "ws",
  hid: HID,
  to: to1,
  data: text("pong"),
  binary: false,
});
canonical("error: code and message", "to-frontend", {
  kind: "error",
  hid: HID,
  to: to1,
  code: "APP_ERROR",
  message: "boom",
});
canonical("error: explicit status", "to-frontend", {
  kind: "error",
  hid: HID,
  to: to1,
  code: "TOO_MANY_REQUESTS",
  message: "slow down",
  status: 429,
});
canonical("goodbye: minimal", "to-frontend", { kind: "goodbye", hid: HID, secret: SECRET });
canonical("goodbye: with work in flight", "to-frontend", {
  kind: "goodbye",
  hid: HID,
  secret: SECRET,
  inflight: 2,
});
canonical("credit: handler consumed 16 KiB of request body", "to-frontend", {
  kind: "credit",
  hid: HID,
  conn: 7,
  req: 12,
  token: TOKEN2,
  bytes: 16_384,
});

// ------------------------------------------------------------------ valid, decode-only
const claimWire = { v: 2, kind: "claim", hid: HID, conn: 7, req: 12, token: TOKEN2 };
decodeOnly(
  "unknown fields are ignored",
  "to-frontend",
  { ...claimWire, priority: 5, tags: ["a", { b: [new Float(1.5), null] }], blob: bytes(1) },
  "priority, tags and blob are not v2 fields",
);
decodeOnly(
  "nil optional fields are absent",
  "to-handler",
  { v: 2, ...get, body: null, stream: null, window: null, upgrade: null },
  "nil = absent",
);
decodeOnly(
  "fields in another order",
  "to-frontend",
  { token: TOKEN2, req: 12, conn: 7, hid: HID, kind: "claim", v: 2 },
  "key order is free on decode",
);
decodeOnly(
  "non-minimal integers (uint64, uint16, int8)",
  "to-frontend",
  {
    ...claimWire,
    conn: raw("cf 0000000000000007"),
    req: raw("cd 000c"),
    v: raw("d0 02"),
  },
  "other encoders may widen integers",
);
decodeOnly(
  "map16 header and str8 for short strings",
  "to-frontend",
  raw(
    "de0006" +
      hex(pack("v")) +
      "02" +
      hex(pack("kind")) +
      "d905" +
      hex(text("claim")) +
      hex(pack("hid")) +
      hex(pack(HID)) +
      hex(pack("conn")) +
      "07" +
      hex(pack("req")) +
      "0c" +
      hex(pack("token")) +
      "ce000dffc2",
  ),
  "headers wider than needed",
);
decodeOnly(
  "__proto__ key is an ordinary unknown field",
  "to-frontend",
  new Entries([["__proto__", { kind: "head" }], ...Object.entries(claimWire)]),
  "never touches prototypes",
);
decodeOnly(
  "negative fixint in an unknown field",
  "to-frontend",
  { ...claimWire, x: -1 },
  "ignored",
);

// ------------------------------------------------------------------ invalid
const getWire = { v: 2, ...get };
const full = pack(getWire);
bad("empty payload", "to-handler", new Uint8Array(0), "ERR_DECODE");
bad(
  "truncated request (last byte missing)",
  "to-handler",
  full.subarray(0, full.length - 1),
  "ERR_DECODE",
);
bad("truncated inside a str header", "to-handler", pack(getWire).subarray(0, 3), "ERR_DECODE");
bad(
  "trailing bytes after the map",
  "to-handler",
  Uint8Array.from([...full, 0xc0]),
  "ERR_TRAILING_BYTES",
);
bad("not a map (array)", "to-handler", [1, "request"], "ERR_NOT_MAP");
bad("not a map (nil)", "to-frontend", null, "ERR_NOT_MAP");
bad("version missing", "to-frontend", { kind: "claim", hid: HID, conn: 7, req: 12 }, "ERR_VERSION");
bad(
  "version 1 (a v1 handler's hello)",
  "to-frontend",
  { v: 1, kind: "hello", hid: HID, capacity: 16, inflight: 0 },
  "ERR_VERSION",
  "a v2 frontend logs that this handler needs an upgrade",
);
bad("version 1 claim", "to-frontend", { ...claimWire, v: 1 }, "ERR_VERSION");
bad("version 1 request", "to-handler", { ...getWire, v: 1 }, "ERR_VERSION");
bad("version 3", "to-frontend", { ...claimWire, v: 3 }, "ERR_VERSION");
bad("version as float 2.0", "to-frontend", { ...claimWire, v: new Float(2) }, "ERR_VERSION");
bad("kind missing", "to-frontend", { v: 2, hid: HID }, "ERR_UNKNOWN_KIND");
bad("unknown kind", "to-frontend", { ...claimWire, kind: "teleport" }, "ERR_UNKNOWN_KIND");
bad(
  "kind named after an Object.prototype property",
  "to-frontend",
  { ...claimWire, kind: "constructor" },
  "ERR_UNKNOWN_KIND",
);
bad("kind not a string", "to-frontend", { ...claimWire, kind: 3 }, "ERR_UNKNOWN_KIND");
bad("request sent to a frontend (wrong direction)", "to-frontend", getWire, "ERR_WRONG_DIRECTION");
bad(
  "head sent to a handler (wrong direction)",
  "to-handler",
  { v: 2, kind: "head", hid: HID, to: to1, status: 200, headers: [] },
  "ERR_WRONG_DIRECTION",
);
bad(
  "required field missing (req)",
  "to-frontend",
  { v: 2, kind: "claim", hid: HID, conn: 7 },
  "ERR_MISSING_FIELD",
);
bad("required field nil", "to-handler", { ...getWire, method: null }, "ERR_MISSING_FIELD");
bad("conn as string", "to-frontend", { ...claimWire, conn: "7" }, "ERR_FIELD_TYPE");
bad("conn negative", "to-frontend", { ...claimWire, conn: -7 }, "ERR_FIELD_TYPE");
bad("conn as float 7.0", "to-frontend", { ...claimWire, conn: new Float(7) }, "ERR_FIELD_TYPE");
bad(
  "conn 2^53 (past the largest id)",
  "to-frontend",
  { ...claimWire, conn: 2n ** 53n },
  "ERR_FIELD_TYPE",
);
bad("conn uint64 max", "to-frontend", { ...claimWire, conn: 2n ** 64n - 1n }, "ERR_FIELD_TYPE");
bad(
  "target id as float inside to",
  "to-frontend",
  { v: 2, kind: "end", hid: HID, to: [[7, new Float(12), TOKEN2]] },
  "ERR_FIELD_TYPE",
);
bad("body as str instead of bin", "to-handler", { ...getWire, body: "hello" }, "ERR_FIELD_TYPE");
bad("stream as integer instead of bool", "to-handler", { ...getWire, stream: 1 }, "ERR_FIELD_TYPE");
bad("scheme ftp", "to-handler", { ...getWire, scheme: "ftp" }, "ERR_FIELD_TYPE");
bad("header not a pair", "to-handler", { ...getWire, headers: [["host"]] }, "ERR_FIELD_TYPE");
bad(
  "header value as bin",
  "to-handler",
  { ...getWire, headers: [["host", text("x")]] },
  "ERR_FIELD_TYPE",
);
bad(
  "status 99",
  "to-frontend",
  { v: 2, kind: "head", hid: HID, to: to1, status: 99, headers: [] },
  "ERR_FIELD_TYPE",
);
bad(
  "status 1000",
  "to-frontend",
  { v: 2, kind: "head", hid: HID, to: to1, status: 1000, headers: [] },
  "ERR_FIELD_TYPE",
);
bad("empty to list", "to-frontend", { v: 2, kind: "end", hid: HID, to: [] }, "ERR_FIELD_TYPE");
bad("hid is the broadcast topic *", "to-frontend", { ...claimWire, hid: "*" }, "ERR_FIELD_TYPE");
bad("hid empty", "to-frontend", { ...claimWire, hid: "" }, "ERR_FIELD_TYPE");
bad("hid with NUL", "to-frontend", { ...claimWire, hid: "py\u00001" }, "ERR_FIELD_TYPE");
bad("fid empty", "to-handler", { ...getWire, fid: "" }, "ERR_FIELD_TYPE");
bad("fid is the broadcast topic *", "to-handler", { ...getWire, fid: "*" }, "ERR_FIELD_TYPE");
bad("fid with NUL", "to-handler", { ...getWire, fid: "web\u00001" }, "ERR_FIELD_TYPE");
bad(
  "fid of 129 bytes (past limit)",
  "to-handler",
  { ...getWire, fid: "f".repeat(129) },
  "ERR_LIMIT",
);
bad(
  "hid of 43 three-byte characters (129 bytes)",
  "to-frontend",
  { ...claimWire, hid: "€".repeat(43) },
  "ERR_LIMIT",
);
bad(
  "header value of 65537 bytes (past limit)",
  "to-handler",
  { ...getWire, headers: [["x-big", "v".repeat(65_537)]] },
  "ERR_LIMIT",
);
bad(
  "1001 headers (past limit)",
  "to-handler",
  {
    ...getWire,
    headers: Array.from({ length: 1001 }, (_, i) => [`x-h${i}`, "1"]),
  },
  "ERR_LIMIT",
);
bad(
  "invalid UTF-8 in a str (method)",
  "to-handler",
  { ...getWire, method: raw("a3 47 c3 28") },
  "ERR_DECODE",
);
bad(
  "UTF-8 encoded surrogate in an unknown field",
  "to-handler",
  { ...getWire, x: raw("a3 ed a0 80") },
  "ERR_DECODE",
);
bad(
  "timestamp extension in an unknown field",
  "to-frontend",
  { ...claimWire, at: raw("d6ff 00000001") },
  "ERR_DECODE",
);
bad(
  "extension type as a field value",
  "to-frontend",
  { ...claimWire, conn: raw("d4 05 07") },
  "ERR_DECODE",
);
bad("reserved byte 0xc1", "to-frontend", { ...claimWire, x: raw("c1") }, "ERR_DECODE");
bad(
  "duplicate key conn",
  "to-frontend",
  new Entries([...Object.entries(claimWire), ["conn", 8]]),
  "ERR_DECODE",
);
bad(
  "integer map key",
  "to-frontend",
  new Entries([...Object.entries(claimWire), [1, 2]]),
  "ERR_DECODE",
);
bad(
  "array claiming 2^32-1 items",
  "to-frontend",
  { ...claimWire, x: raw("dd ffffffff 00") },
  "ERR_DECODE",
);
// ---- v2 rules: secret, token, triples, bounds of hello, reason
const helloWire = { v: 2, ...hello };
const goodbyeWire = { v: 2, kind: "goodbye", hid: HID, secret: SECRET };
bad(
  "hello without secret",
  "to-frontend",
  { ...helloWire, secret: undefined },
  "ERR_MISSING_FIELD",
);
bad(
  "heartbeat without secret",
  "to-frontend",
  { ...helloWire, kind: "heartbeat", secret: null },
  "ERR_MISSING_FIELD",
);
bad(
  "goodbye without secret",
  "to-frontend",
  { ...goodbyeWire, secret: undefined },
  "ERR_MISSING_FIELD",
);
bad("secret of 15 bytes", "to-frontend", { ...helloWire, secret: filled(15, 1) }, "ERR_LIMIT");
bad("secret of 65 bytes", "to-frontend", { ...goodbyeWire, secret: filled(65, 1) }, "ERR_LIMIT");
bad("secret as str", "to-frontend", { ...helloWire, secret: "s".repeat(32) }, "ERR_FIELD_TYPE");
bad("request without token", "to-handler", { ...getWire, token: undefined }, "ERR_MISSING_FIELD");
bad("request without port", "to-handler", { ...getWire, port: undefined }, "ERR_MISSING_FIELD");
bad("claim without token", "to-frontend", { ...claimWire, token: undefined }, "ERR_MISSING_FIELD");
bad(
  "credit without token",
  "to-frontend",
  { v: 2, kind: "credit", hid: HID, conn: 7, req: 12, bytes: 10 },
  "ERR_MISSING_FIELD",
);
bad(
  "token 2^53 (past the largest)",
  "to-frontend",
  { ...claimWire, token: 2n ** 53n },
  "ERR_FIELD_TYPE",
);
bad(
  "to with a [conn, req] pair instead of a triple (v1 form)",
  "to-frontend",
  { v: 2, kind: "end", hid: HID, to: [[7, 12]] },
  "ERR_FIELD_TYPE",
);
bad(
  "to with a 4-element target",
  "to-frontend",
  { v: 2, kind: "end", hid: HID, to: [[7, 12, TOKEN2, 1]] },
  "ERR_FIELD_TYPE",
);
bad(
  "token in to negative",
  "to-frontend",
  { v: 2, kind: "end", hid: HID, to: [[7, 12, -1]] },
  "ERR_FIELD_TYPE",
);
bad("interval 99 ms", "to-frontend", { ...helloWire, interval: 99 }, "ERR_LIMIT");
bad("interval 60001 ms", "to-frontend", { ...helloWire, interval: 60_001 }, "ERR_LIMIT");
bad(
  "interval 2^53-1 ms",
  "to-frontend",
  { ...helloWire, kind: "heartbeat", interval: Number.MAX_SAFE_INTEGER },
  "ERR_LIMIT",
);
bad("interval negative", "to-frontend", { ...helloWire, interval: -1000 }, "ERR_FIELD_TYPE");
bad("capacity 0", "to-frontend", { ...helloWire, capacity: 0 }, "ERR_LIMIT");
bad("capacity 65537", "to-frontend", { ...helloWire, capacity: 65_537 }, "ERR_LIMIT");
bad("batch 0", "to-frontend", { ...helloWire, batch: 0 }, "ERR_LIMIT");
bad("batch 1025", "to-frontend", { ...helloWire, batch: 1_025 }, "ERR_LIMIT");
bad(
  "head reason of 513 bytes (past limit)",
  "to-frontend",
  { v: 2, kind: "head", hid: HID, to: to1, status: 200, reason: "r".repeat(513), headers: [] },
  "ERR_LIMIT",
);
bad(
  "head reason as bin",
  "to-frontend",
  { v: 2, kind: "head", hid: HID, to: to1, status: 200, reason: text("OK"), headers: [] },
  "ERR_FIELD_TYPE",
);

let deep: unknown = 0;
for (let i = 0; i < 40; i++) deep = [deep];
bad(
  "unknown field nested 40 deep (past limit)",
  "to-frontend",
  { ...claimWire, x: deep },
  "ERR_LIMIT",
);

// The field table of schema.ts, for implementations in other languages (and decode_vectors.py).
const schemaJson = {
  "to-handler": ToHandlerSchema,
  "to-frontend": ToFrontendSchema,
};
writeFileSync(VECTORS_DIR + "ferry-schema.json", JSON.stringify(schemaJson, null, 1) + "\n");
writeFileSync(VECTORS_DIR + "ferry-valid.json", JSON.stringify(valid, null, 1) + "\n");
writeFileSync(VECTORS_DIR + "ferry-invalid.json", JSON.stringify(invalid, null, 1) + "\n");
console.log(`${valid.length} valid, ${invalid.length} invalid vectors written to ${VECTORS_DIR}`);
