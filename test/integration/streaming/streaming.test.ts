/**
 * Streamed request bodies and response flow control, end to end: `ferry frontend` + `ferry
 * handler` running a Fetch app, a real HTTP client. Bodies past the inline limit reach the app
 * as a stream and are hashed there; downloads to a client that stops reading are paced by
 * credit instead of piling up in the frontend.
 */
import { createHash } from "node:crypto";
import { Agent, request, type IncomingMessage } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stopAll } from "../../support/processes.js";
import { tempDir } from "../../support/tmp.js";
import {
  startFrontend,
  startHandler,
  tcpEndpoints,
  waitFor,
  waitServed,
  type Frontend,
} from "../handler/ferry.js";

const APP = "examples/streaming/index.ts";
const EXPRESS = "examples/express/app.ts";
const MiB = 1024 * 1024;
const dir = tempDir();
let fe: Frontend;
let express: Frontend;

beforeAll(async () => {
  const ep = await tcpEndpoints();
  // A small inline limit so modest bodies stream; a tight connection queue, so a frontend that
  // buffered a download instead of pacing it would close the slow client.
  fe = await startFrontend(
    dir.path,
    ep,
    { inlineBodyLimit: 64 * 1024 },
    {
      limits: { connectionQueueBytes: 4 * MiB },
    },
  );
  await startHandler(APP, ep);
  await waitServed(`${fe.url}/stats`);
  const expressEp = await tcpEndpoints();
  express = await startFrontend(dir.path, expressEp, { inlineBodyLimit: 64 * 1024 });
  await startHandler(EXPRESS, expressEp);
  await waitServed(`${express.url}/search`);
});

afterAll(async () => {
  await stopAll();
  dir.cleanup();
});

/** `total` deterministic bytes in `chunk`-sized pieces, and their sha256. */
function payload(total: number, chunk = 256 * 1024): { pieces: Buffer[]; sha256: string } {
  const h = createHash("sha256");
  const pieces: Buffer[] = [];
  for (let off = 0; off < total; off += chunk) {
    const b = Buffer.alloc(Math.min(chunk, total - off));
    for (let i = 0; i < b.length; i++) b[i] = ((off + i) * 13) & 255;
    h.update(b);
    pieces.push(b);
  }
  return { pieces, sha256: h.digest("hex") };
}

interface Answer {
  status: number;
  headers: IncomingMessage["headers"];
  body: Buffer;
}

function send(
  path: string,
  pieces: Buffer[],
  options: {
    length?: number;
    agent?: Agent | false;
    method?: string;
    base?: string;
    headers?: Record<string, string>;
  } = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { ...options.headers };
    if (options.length !== undefined) headers["content-length"] = String(options.length);
    const req = request(
      `${options.base ?? fe.url}${path}`,
      { method: options.method ?? "POST", headers, agent: options.agent ?? false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks),
          }),
        );
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    (async () => {
      for (const p of pieces) if (!req.write(p)) await new Promise((r) => req.once("drain", r));
      req.end();
    })().catch(reject);
  });
}

async function stats(): Promise<{ produced: number; aborted: number; uploads: number }> {
  return (await fetch(`${fe.url}/stats`)).json() as Promise<{
    produced: number;
    aborted: number;
    uploads: number;
  }>;
}

describe("streamed request bodies", () => {
  it("delivers a body far past the inline limit intact (Content-Length)", async () => {
    const { pieces, sha256 } = payload(24 * MiB);
    const r = await send("/hash", pieces, { length: 24 * MiB });
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body.toString())).toEqual({ bytes: 24 * MiB, sha256 });
  });

  it("switches a chunked body to streaming once it outgrows the inline limit", async () => {
    const { pieces, sha256 } = payload(3 * MiB + 17, 10_000);
    const r = await send("/hash", pieces);
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body.toString())).toEqual({ bytes: 3 * MiB + 17, sha256 });
  });

  it("streams a body back while it is still arriving", async () => {
    const { pieces, sha256 } = payload(8 * MiB);
    const r = await send("/echo", pieces, { length: 8 * MiB });
    expect(r.status).toBe(200);
    expect(r.body.length).toBe(8 * MiB);
    expect(createHash("sha256").update(r.body).digest("hex")).toBe(sha256);
  });

  it("keeps the connection usable when the handler answers before reading the body", async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const big = payload(4 * MiB);
      const early = await send("/early", big.pieces, { length: 4 * MiB, agent });
      expect(early.status).toBe(200);
      expect(early.body.toString()).toBe("early\n");
      const small = payload(100 * 1024);
      const next = await send("/hash", small.pieces, { length: 100 * 1024, agent });
      expect(JSON.parse(next.body.toString())).toEqual({ bytes: 100 * 1024, sha256: small.sha256 });
    } finally {
      agent.destroy();
    }
  });

  it("tells the handler when the client leaves mid-upload", async () => {
    const before = await stats();
    const req = request(`${fe.url}/hash`, {
      method: "POST",
      headers: { "content-length": String(64 * MiB) },
      agent: false,
    });
    req.on("error", () => {});
    req.write(Buffer.alloc(2 * MiB, 1));
    await waitFor(async () => (await stats()).uploads > before.uploads);
    req.destroy();
    await waitFor(async () => (await stats()).aborted > before.aborted);
  });
});

describe("response flow control", () => {
  it("paces a download to a client that stops reading, then delivers all of it", async () => {
    const total = 96 * MiB;
    await fetch(`${fe.url}/reset`);
    const res = await new Promise<IncomingMessage>((resolve, reject) => {
      const req = request(`${fe.url}/download?bytes=${total}`, { agent: false }, resolve);
      req.on("error", reject);
      req.end();
    });
    expect(res.statusCode).toBe(200);
    res.pause();
    // While the client reads nothing, the handler may only fill the window and the sockets'
    // kernel buffers: far less than the download.
    let last = -1;
    await waitFor(async () => {
      const { produced } = await stats();
      const settled = produced === last;
      last = produced;
      return settled && produced > 0;
    });
    expect(last).toBeLessThan(total / 3);
    const h = createHash("sha256");
    let got = 0;
    res.on("data", (c: Buffer) => {
      h.update(c);
      got += c.length;
    });
    res.resume();
    await new Promise((r) => res.on("end", r));
    expect(got).toBe(total);
    const expected = createHash("sha256");
    const piece = Buffer.alloc(64 * 1024);
    for (let off = 0; off < total; off += piece.length) {
      for (let i = 0; i < piece.length; i++) piece[i] = ((off + i) * 7) & 255;
      expected.update(piece);
    }
    expect(h.digest("hex")).toBe(expected.digest("hex"));
  });
});

describe("streamed request bodies in Node-style apps", () => {
  it("an Express app reads a streamed upload with its Content-Length intact", async () => {
    const { pieces, sha256 } = payload(6 * MiB);
    const body = Buffer.concat(pieces);
    const res = await fetch(`${express.url}/upload`, {
      method: "POST",
      body,
      headers: { "content-type": "application/octet-stream" },
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ bytes: 6 * MiB, sha256 });
  });

  it("an Express app reads a chunked upload past the inline limit", async () => {
    const { pieces, sha256 } = payload(2 * MiB + 3, 50_000);
    const r = await send("/upload", pieces, {
      base: express.url,
      headers: { "content-type": "application/octet-stream" },
    });
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body.toString())).toEqual({ bytes: 2 * MiB + 3, sha256 });
  });
});
