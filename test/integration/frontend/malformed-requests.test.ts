/**
 * A corpus of malformed raw requests: each gets a 4xx or a close, none reaches the handler
 * (it logs every request it receives), and the frontend keeps serving after each one.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stopAll, type Proc } from "../../support/processes.js";
import { tempDir } from "../../support/tmp.js";
import {
  endpointsFor,
  get,
  startFrontend,
  startHandler,
  waitLive,
  type FrontendUnderTest,
} from "./harness.js";
import { rawExchange } from "./raw.js";

const big = "a".repeat(20_000);
/** [name, bytes]. Every request names a path with "corpus", which must never reach the handler. */
const CORPUS: Array<[string, string]> = [
  ["garbage request line", "HELLO THERE\r\n\r\n"],
  ["missing version", "GET /corpus\r\n\r\n"],
  ["bad version", "GET /corpus HTTP/9.9\r\nHost: x\r\n\r\n"],
  ["space in method", "G ET /corpus HTTP/1.1\r\nHost: x\r\n\r\n"],
  ["control char in target", "GET /corp\x01us HTTP/1.1\r\nHost: x\r\n\r\n"],
  ["bad header name (space)", "GET /corpus HTTP/1.1\r\nHost: x\r\nBad Header: 1\r\n\r\n"],
  ["bad header name (colon only)", "GET /corpus HTTP/1.1\r\nHost: x\r\n: nothing\r\n\r\n"],
  ["header without colon", "GET /corpus HTTP/1.1\r\nHost: x\r\nNoColonHere\r\n\r\n"],
  ["obs-fold continuation", "GET /corpus HTTP/1.1\r\nHost: x\r\nX-A: 1\r\n  folded\r\n\r\n"],
  [
    "CL + TE smuggling",
    "POST /corpus HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /corpus-smuggled HTTP/1.1\r\nHost: x\r\n\r\n",
  ],
  [
    "TE + CL smuggling",
    "POST /corpus HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 30\r\n\r\n0\r\n\r\nGET /corpus-smuggled HTTP/1.1\r\n\r\n",
  ],
  [
    "duplicate Content-Length (different)",
    "POST /corpus HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 5\r\n\r\nabcde",
  ],
  [
    "duplicate Content-Length (same)",
    "POST /corpus HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabc",
  ],
  ["Content-Length list", "POST /corpus HTTP/1.1\r\nHost: x\r\nContent-Length: 3, 3\r\n\r\nabc"],
  ["negative Content-Length", "POST /corpus HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n"],
  ["non-numeric Content-Length", "POST /corpus HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n"],
  [
    "TE not ending in chunked",
    "POST /corpus HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, gzip\r\n\r\n0\r\n\r\n",
  ],
  [
    "obfuscated TE",
    "POST /corpus HTTP/1.1\r\nHost: x\r\nTransfer-Encoding : chunked\r\n\r\n0\r\n\r\n",
  ],
  [
    "bad chunk size",
    "POST /corpus HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n",
  ],
  [
    "chunk size overflow",
    "POST /corpus HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffffffff\r\nabc\r\n0\r\n\r\n",
  ],
  [
    "chunk without CRLF",
    "POST /corpus HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcXX0\r\n\r\n",
  ],
  ["bare LF line endings", "GET /corpus HTTP/1.1\nHost: x\n\n"],
  ["bare LF in header", "GET /corpus HTTP/1.1\r\nHost: x\nX-A: 1\r\n\r\n"],
  ["bare CR", "GET /corpus HTTP/1.1\rHost: x\r\n\r\n"],
  ["NUL in header value", "GET /corpus HTTP/1.1\r\nHost: x\r\nX-A: a\x00b\r\n\r\n"],
  ["NUL in target", "GET /corpus\x00 HTTP/1.1\r\nHost: x\r\n\r\n"],
  ["NUL in method", "G\x00T /corpus HTTP/1.1\r\nHost: x\r\n\r\n"],
  ["oversized header", `GET /corpus HTTP/1.1\r\nHost: x\r\nX-Big: ${big}\r\n\r\n`],
  [
    "too many headers",
    `GET /corpus HTTP/1.1\r\nHost: x\r\n${Array.from({ length: 2000 }, (_, i) => `X-${i}: v`).join("\r\n")}\r\n\r\n`,
  ],
  ["oversized request line", `GET /corpus/${big} HTTP/1.1\r\nHost: x\r\n\r\n`],
  ["HTTP/1.1 without Host", "GET /corpus HTTP/1.1\r\n\r\n"],
  ["two Hosts", "GET /corpus HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"],
];

describe("malformed request corpus", () => {
  const dir = tempDir();
  let fe: FrontendUnderTest;
  let handler: Proc;

  beforeAll(async () => {
    const endpoints = await endpointsFor("tcp", dir.path);
    fe = await startFrontend(dir.path, endpoints, {}, { limits: { headerBytes: 8192 } });
    handler = startHandler(endpoints, { log: true });
    await waitLive(fe.url);
  });

  afterAll(async () => {
    await stopAll();
    dir.cleanup();
  });

  for (const [name, bytes] of CORPUS) {
    it(`${name}: 4xx or close, never a handler`, async () => {
      const seen = handler.output().length;
      const r = await rawExchange(fe.port, bytes, { idleMs: 1000 });
      const status = /^HTTP\/1\.1 (\d{3})/.exec(r.data)?.[1];
      if (status !== undefined) expect(Number(status)).toBeGreaterThanOrEqual(400);
      if (status !== undefined) expect(Number(status)).toBeLessThan(500);
      else expect(r.closed).toBe(true);
      // The response, if any, is the only one: no smuggled second request was answered.
      expect(r.data.match(/HTTP\/1\.1 \d{3}/g)?.length ?? 0).toBeLessThanOrEqual(1);
      expect((await get(`${fe.url}/echo/after`)).status).toBe(200);
      expect(handler.output().slice(seen)).not.toMatch(/request \S+ \/corp/);
    });
  }

  it("answers 431 for an oversized head", async () => {
    const r = await rawExchange(fe.port, CORPUS.find(([n]) => n === "oversized header")![1], {
      idleMs: 1000,
    });
    expect(r.data).toMatch(/^HTTP\/1\.1 431/);
  });
});
