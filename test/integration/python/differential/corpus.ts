/**
 * The raw requests of the differential test: the same bytes go to gunicorn and to Ferry. `{HOST}`
 * stands for the server's own `127.0.0.1:port`. The app is apps/environ_dump.py: any path dumps
 * the environ and what `wsgi.input` gave (`?read=STYLE`), `/x/...` paths shape the response.
 */
import { createHash } from "node:crypto";
import type { RawRequest } from "./raw-http.js";

export interface Case {
  name: string;
  request: (host: string) => RawRequest;
  /** The body's size and SHA-256, which the app must have read whole (so a body both servers
   * cut alike still fails). */
  body?: { bytes: number; sha256: string };
  /** A line ferry_wsgi must log for this request (gunicorn's logs are not compared). */
  ferryLog?: RegExp;
}

/** The frontend's inline limit in this test: bodies past it stream into wsgi.input. */
export const INLINE_LIMIT = 64 * 1024;
/** ferry_wsgi's credit window for a streamed body (body.py WINDOW). */
const WINDOW = 256 * 1024;

export const READ_STYLES = [
  "read",
  "read-none",
  "read-length",
  "read-more",
  "read-8192",
  "readline",
  "readline-100",
  "readlines",
  "iter",
];
const BODY_SIZES = [
  1000,
  INLINE_LIMIT - 1,
  INLINE_LIMIT,
  INLINE_LIMIT + 1,
  WINDOW + 1,
  2 * 1024 * 1024 + 3,
];

/** Lines of varying length (some longer than readline's 100), so reads cross every boundary. */
export function bodyOf(size: number): Buffer {
  const out = Buffer.alloc(size);
  let at = 0;
  for (let i = 0; at < size; i++) {
    const line = Buffer.from(`${i}:${"y".repeat((i * 37) % 211)}\n`);
    at += line.copy(out, at);
  }
  return out;
}

function chunked(body: Buffer, piece: number): Buffer {
  const parts: Buffer[] = [];
  for (let i = 0; i < body.length; i += piece) {
    const chunk = body.subarray(i, i + piece);
    parts.push(Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from("\r\n"));
  }
  parts.push(Buffer.from("0\r\n\r\n"));
  return Buffer.concat(parts);
}

interface Options {
  version?: string;
  host?: boolean;
  body?: Buffer;
  afterContinue?: Buffer;
}

function raw(method: string, target: string, headers: string[], options: Options = {}) {
  return (host: string): RawRequest => {
    const lines = [
      `${method} ${target.replaceAll("{HOST}", host)} ${options.version ?? "HTTP/1.1"}`,
    ];
    if (options.host !== false) lines.push(`Host: ${host}`);
    lines.push(...headers, "", "");
    const head = Buffer.from(lines.join("\r\n"), "latin1");
    return {
      bytes: options.body ? Buffer.concat([head, options.body]) : head,
      ...(options.afterContinue && { afterContinue: options.afterContinue }),
      ...(method === "HEAD" && { head: true }),
    };
  };
}

function digest(body: Buffer): { bytes: number; sha256: string } {
  return { bytes: body.length, sha256: createHash("sha256").update(body).digest("hex") };
}

const small = Buffer.from("name=value&x=%20y\n");

export const CORPUS: Case[] = [
  // The environ of plain requests.
  { name: "GET /", request: raw("GET", "/", []) },
  { name: "HEAD /", request: raw("HEAD", "/", []) },
  { name: "query string", request: raw("GET", "/q?a=1&b=%20+x&c", []) },
  { name: "percent-decoding", request: raw("GET", "/p%20q/caf%C3%A9/%FF%2Fz", []) },
  { name: "; parameters in the path", request: raw("GET", "/a;b=c/d;e?f=g", []) },
  { name: "double slashes", request: raw("GET", "//a//b/", []) },
  { name: "fragment", request: raw("GET", "/frag?x=1#part", []) },
  { name: "absolute-form target", request: raw("GET", "http://{HOST}/abs/p?q=1", []) },
  {
    name: "Host of another name",
    request: raw("GET", "/", ["Host: example.com"], { host: false }),
  },
  {
    name: "HTTP/1.0 without Host",
    request: raw("GET", "/old", [], { version: "HTTP/1.0", host: false }),
  },
  {
    name: "Host naming a name and port",
    request: (host) =>
      raw("GET", "/h", [`Host: example.com:${host.split(":")[1]}`], { host: false })(host),
  },
  { name: "latin-1 header bytes", request: raw("GET", "/", ["X-Latin: caf\u00e9 \u00ff"]) },
  { name: "repeated header", request: raw("GET", "/", ["X-Rep: a", "X-Rep: b"]) },
  { name: "Cookie twice", request: raw("GET", "/", ["Cookie: a=1", "Cookie: b=2"]) },
  { name: "header name with _", request: raw("GET", "/", ["X_Under: u", "X-Dash: d"]) },
  {
    name: "Content-Type and Content-Length",
    request: raw(
      "POST",
      "/form",
      ["Content-Type: application/x-www-form-urlencoded", `Content-Length: ${small.length}`],
      { body: small },
    ),
  },
  { name: "empty POST", request: raw("POST", "/empty", ["Content-Length: 0"]) },
  {
    name: "chunked upload",
    request: raw("POST", "/chunked", ["Transfer-Encoding: chunked"], { body: chunked(small, 5) }),
    body: digest(small),
  },
  {
    name: "chunked upload past the inline limit",
    request: raw("POST", "/chunked?read=readline", ["Transfer-Encoding: chunked"], {
      body: chunked(bodyOf(3 * INLINE_LIMIT + 11), 10_000),
    }),
    body: digest(bodyOf(3 * INLINE_LIMIT + 11)),
  },
  {
    name: "Expect: 100-continue",
    request: raw("POST", "/continue", ["Expect: 100-continue", `Content-Length: ${small.length}`], {
      afterContinue: small,
    }),
  },
  { name: "PUT", request: raw("PUT", "/put", ["Content-Length: 3"], { body: Buffer.from("abc") }) },
  { name: "DELETE", request: raw("DELETE", "/thing/1", []) },
  { name: "OPTIONS *", request: raw("OPTIONS", "*", []) },
  { name: "UTF-8 bytes in the query, unencoded", request: raw("GET", "/u?q=caf\u00c3\u00a9", []) },
  { name: "a long header value", request: raw("GET", "/", [`X-Long: ${"v".repeat(6000)}`]) },

  // Bodies by every read style, around the inline limit and the credit window.
  ...BODY_SIZES.flatMap((size) =>
    READ_STYLES.map((style): Case => ({
      name: `${size}-byte body by ${style}`,
      request: raw("POST", `/body?read=${style}`, [`Content-Length: ${size}`], {
        body: bodyOf(size),
      }),
      body: digest(bodyOf(size)),
    })),
  ),

  // Response shapes.
  {
    name: "body shorter than Content-Length",
    request: raw("GET", "/x/cl-short", []),
    ferryLog:
      /environ_dump:app declared Content-Length 10 but its body was 5 bytes for GET \/x\/cl-short/,
  },
  {
    name: "body longer than Content-Length",
    request: raw("GET", "/x/cl-long", []),
    ferryLog: /environ_dump:app gave more body than its Content-Length 3 for GET \/x\/cl-long/,
  },
  { name: "header value outside latin-1", request: raw("GET", "/x/bad-header?kind=latin1", []) },
  { name: "header value with CR LF", request: raw("GET", "/x/bad-header?kind=crlf", []) },
  { name: "header name with a space", request: raw("GET", "/x/bad-header?kind=name", []) },
  { name: "error after the head (exc_info)", request: raw("GET", "/x/late-error", []) },
  { name: "reason phrase", request: raw("GET", "/x/reason", []) },
  { name: "write() then an iterable", request: raw("GET", "/x/write", []) },
  { name: "close() called", request: raw("GET", "/x/closeable", []) },
  { name: "close() count", request: raw("GET", "/x/close-count", []) },
  { name: "204", request: raw("GET", "/x/status?code=204", []) },
  { name: "304", request: raw("GET", "/x/status?code=304", []) },
  { name: "Set-Cookie twice", request: raw("GET", "/x/cookies", []) },
  { name: "streamed response", request: raw("GET", "/x/stream", []) },
  { name: "wsgi.file_wrapper", request: raw("GET", "/x/file", []) },
  { name: "HEAD of a streamed response", request: raw("HEAD", "/x/stream", []) },
];
