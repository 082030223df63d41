/**
 * The reader of raw Mongrel2 reply bytes: every framing, whole and split at every offset, with
 * the bytes after the response's end handed back for the next pipelined request.
 */
import { describe, expect, it } from "vitest";
import {
  M2ResponseReader,
  type M2ResponseEvent,
} from "../../../frontend/groups/m2-response-reader.js";

interface Read {
  status: number | undefined;
  headers: string[];
  body: string;
  ended: boolean;
  rest: string;
}

function read(parts: Buffer[], bodiless = false): Read {
  const reader = new M2ResponseReader(bodiless);
  const out: Read = { status: undefined, headers: [], body: "", ended: false, rest: "" };
  for (const part of parts) {
    const events: M2ResponseEvent[] = [];
    const rest = reader.feed(part, events);
    for (const e of events) {
      if (e.type === "head") {
        out.status = e.status;
        out.headers = e.headers.map(([n, v]) => `${n.toLowerCase()}: ${v}`);
      } else if (e.type === "data") out.body += e.data.toString("latin1");
      else out.ended = true;
    }
    out.rest += rest.toString("latin1");
  }
  return out;
}

const NEXT = "HTTP/1.1 204 No Content\r\n\r\n";
const CASES: Array<{
  name: string;
  raw: string;
  body: string;
  ended: boolean;
  bodiless?: boolean;
}> = [
  {
    name: "content-length",
    raw: "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello",
    body: "hello",
    ended: true,
  },
  {
    name: "chunked with extension and trailer",
    raw: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3;x=1\r\nabc\r\nA\r\n0123456789\r\n0\r\nT: 1\r\n\r\n",
    body: "abc0123456789",
    ended: true,
  },
  {
    name: "close-delimited",
    raw: "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil close",
    body: "until close",
    ended: false,
  },
  {
    name: "HEAD ignores the length",
    raw: "HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\n",
    body: "",
    ended: true,
    bodiless: true,
  },
  {
    name: "HEAD: a body written anyway is dropped, up to the length",
    raw: "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nHello",
    body: "",
    ended: true,
    bodiless: true,
  },
  {
    name: "HEAD: a stray body starting as HTTP/ does is still dropped",
    raw: "HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nHTTPS!",
    body: "",
    ended: true,
    bodiless: true,
  },
  {
    name: "304 has no body",
    raw: "HTTP/1.1 304 Not Modified\r\nETag: x\r\n\r\n",
    body: "",
    ended: true,
  },
  {
    name: "100 Continue skipped",
    raw: "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
    body: "ok",
    ended: true,
  },
];

describe("M2ResponseReader", () => {
  for (const c of CASES) {
    it(`${c.name}: whole and split at every offset`, () => {
      const raw = Buffer.from(c.ended ? c.raw + NEXT : c.raw, "latin1");
      for (let at = 0; at <= raw.length; at++) {
        const r = read([raw.subarray(0, at), raw.subarray(at)], c.bodiless);
        expect(r.body).toBe(c.body);
        expect(r.ended).toBe(c.ended);
        if (c.ended) expect(r.rest).toBe(NEXT);
      }
    });
  }

  it("HEAD: the stray body may come in later frames; the reader says when it is over", () => {
    const reader = new M2ResponseReader(true);
    const events: M2ResponseEvent[] = [];
    const head = "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n";
    expect(reader.feed(Buffer.from(head), events).length).toBe(0);
    expect(events.map((e) => e.type)).toEqual(["head", "end"]);
    expect(reader.skipping).toBe(true);
    expect(reader.feed(Buffer.from("0123"), []).length).toBe(0);
    expect(reader.skipping).toBe(true);
    expect(reader.feed(Buffer.from("456789" + NEXT), []).toString()).toBe(NEXT);
    expect(reader.skipping).toBe(false);
  });

  it("HEAD without a length, or chunked: nothing is taken for a stray body", () => {
    for (const head of [
      "HTTP/1.1 200 OK\r\n\r\n",
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
    ]) {
      const reader = new M2ResponseReader(true);
      expect(reader.feed(Buffer.from(head + NEXT), []).toString()).toBe(NEXT);
      expect(reader.skipping).toBe(false);
    }
  });

  it("chunked wins over content-length, which is not passed on", () => {
    const r = read([
      Buffer.from(
        "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nx\r\n0\r\n\r\n",
      ),
    ]);
    expect(r.headers).toEqual([]);
    expect(r.body).toBe("x");
  });

  it.each([
    ["not HTTP", "hello world\r\n\r\n"],
    ["bad content-length", "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n"],
    ["bad chunk size", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"],
    ["upgrade", "HTTP/1.1 101 Switching Protocols\r\n\r\n"],
  ])("refuses %s with ERR_M2_RESPONSE", (_name, raw) => {
    expect(() => read([Buffer.from(raw)])).toThrow(
      expect.objectContaining({ code: "ERR_M2_RESPONSE" }),
    );
  });
});
