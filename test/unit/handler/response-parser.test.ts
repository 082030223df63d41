import { describe, expect, it } from "vitest";
import { ResponseParser } from "../../../handler/node/response-parser.js";
import type { HeaderPair } from "../../../protocol/index.js";

function parse(chunks: Buffer[]) {
  const heads: Array<{
    status: number;
    headers: HeaderPair[];
    lengthless: boolean;
    reason: string;
  }> = [];
  const body: Buffer[] = [];
  const p = new ResponseParser(
    (status, headers, lengthless, reason) => heads.push({ status, headers, lengthless, reason }),
    (c) => body.push(Buffer.from(c)),
  );
  for (const c of chunks) p.push(c);
  return { heads, body: Buffer.concat(body).toString("latin1") };
}

const CHUNKED = Buffer.from(
  "HTTP/1.1 100 Continue\r\n\r\n" +
    "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\nConnection: keep-alive\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\n\r\n" +
    "5\r\nhello\r\n1;ext=1\r\n \r\nc\r\nworld, again\r\n0\r\nX-Trailer: t\r\n\r\n",
  "latin1",
);

describe("ResponseParser", () => {
  it("reads status, reason and headers as written, skips 1xx, drops hop-by-hop headers, de-chunks the body", () => {
    const { heads, body } = parse([CHUNKED]);
    expect(heads).toEqual([
      {
        status: 200,
        headers: [
          ["Content-Type", "text/plain"],
          ["Set-Cookie", "a=1"],
          ["Set-Cookie", "b=2"],
        ],
        lengthless: true,
        reason: "OK",
      },
    ]);
    expect(body).toBe("hello world, again");
  });

  it("gives the same result split at every offset", () => {
    const whole = parse([CHUNKED]);
    for (let i = 1; i < CHUNKED.length; i++) {
      expect(parse([CHUNKED.subarray(0, i), CHUNKED.subarray(i)])).toEqual(whole);
    }
  });

  it("passes a Content-Length body through as is", () => {
    const raw = Buffer.from("HTTP/1.1 201 Created\r\nContent-Length: 4\r\n\r\n\r\n0\r", "latin1");
    for (let i = 1; i < raw.length; i++) {
      const r = parse([raw.subarray(0, i), raw.subarray(i)]);
      expect(r.heads[0]).toMatchObject({ status: 201, lengthless: false, reason: "Created" });
      expect(r.body).toBe("\r\n0\r");
    }
  });

  it("keeps a custom reason phrase, spaces included, and an empty one", () => {
    const custom = parse([Buffer.from("HTTP/1.1 418 I am  a teapot\r\nX-A: 1\r\n\r\n")]);
    expect(custom.heads[0]).toMatchObject({ status: 418, reason: "I am  a teapot" });
    const empty = parse([Buffer.from("HTTP/1.1 200 \r\nX-A: 1\r\n\r\n")]);
    expect(empty.heads[0]).toMatchObject({ status: 200, reason: "" });
  });
});
