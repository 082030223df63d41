/**
 * A request body is gathered before dispatch up to the group's inline limit, so an app cannot
 * answer a client that sends its headers and then stalls in its body; a group with
 * `inlineBodyLimit: 0` streams every body and the app answers as soon as the headers are in,
 * as under a plain Node server (docs/handler.md, "Request bodies").
 */
import { afterAll, describe, expect, it } from "vitest";
import { writeFileSync } from "node:fs";
import { connect } from "node:net";
import { join } from "node:path";
import { stopAll } from "../../support/processes.js";
import { tempDir } from "../../support/tmp.js";
import { startFrontend, startHandler, tcpEndpoints, waitServed } from "./ferry.js";

const dir = tempDir("ferry-early-");
afterAll(async () => {
  await stopAll();
  dir.cleanup();
});

/** A Node app that answers at once, without reading the body. */
const APP = `module.exports = (req, res) => { res.setHeader("Content-Type", "text/plain"); res.end("early " + req.method); };`;

/**
 * Sends `head` and part of a body, never the rest; resolves with what came back: the whole
 * answer as soon as it is in, else whatever arrived within `ms`.
 */
function stalledUpload(port: number, head: string, part: string, ms: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1");
    let got = "";
    const done = () => {
      clearTimeout(timer);
      socket.destroy();
      resolve(got);
    };
    const timer = setTimeout(done, ms);
    socket.on("data", (d: Buffer) => {
      got += d.toString("latin1");
      if (got.endsWith("early POST")) done();
    });
    socket.on("error", reject);
    socket.on("connect", () => socket.write(head + part));
  });
}

async function ferry(group: Record<string, unknown>): Promise<number> {
  const app = join(dir.path, "app.cjs");
  writeFileSync(app, APP);
  const ep = await tcpEndpoints();
  const fe = await startFrontend(dir.path, ep, group);
  await startHandler(app, ep);
  await waitServed(`${fe.url}/`);
  return fe.port;
}

const LENGTH = "POST /up HTTP/1.1\r\nHost: t\r\nContent-Length: 1000\r\n\r\n";
const CHUNKED = "POST /up HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n";

describe("a client that stalls in its body", () => {
  it("gets no answer while the body is gathered for the inline limit (the default)", async () => {
    const port = await ferry({});
    // Nothing can reach the app before the body is whole: the frontend has no request to send.
    expect(await stalledUpload(port, LENGTH, "x".repeat(10), 500)).toBe("");
  });

  it("is answered at once when the group streams every body (inlineBodyLimit: 0)", async () => {
    const port = await ferry({ inlineBodyLimit: 0 });
    for (const [head, part] of [
      [LENGTH, "x".repeat(10)],
      [CHUNKED, "a\r\n0123456789\r\n"],
    ] as const) {
      const got = await stalledUpload(port, head, part, 10_000);
      expect(got).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
      expect(got).toMatch(/\r\n\r\nearly POST$/);
    }
  });
});
