/**
 * The SDK in mongrel2 mode (`ferry handler MODULE --protocol mongrel2`), run as Mongrel2's users
 * run it, behind a real Mongrel2 1.12 and behind Ferry's mongrel2 groups: pipelined requests are
 * answered in request order, each framed for its own request; HEAD gets no made-up length;
 * uploads Mongrel2 spooled to a file are read (under a chrooted Mongrel2 too) and the file is
 * deleted once answered; the ready line names the send/recv specs the handler serves.
 */
import { createServer, type Server } from "node:http";
import { readFileSync, readdirSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { run } from "../integration/handler/request-table.js";
import { startFerryM2 } from "../support/ferry-m2.js";
import { canChroot, startMongrel2, type Mongrel2Server } from "../support/mongrel2.js";
import { freePorts } from "../support/ports.js";
import { startFerry, stopAll, type Proc } from "../support/processes.js";
import { tempDir } from "../support/tmp.js";
// @ts-expect-error: a plain JS module (the handler process loads it as is)
import app from "./apps/m2-mode-app.mjs";

const APP = "test/interop/apps/m2-mode-app.mjs";
const SEND_IDENT = "5b0c7f0e-2f4a-4d1e-8a55-0c1d2e3f4a5b";

const dir = tempDir("ferry-sdk-m2-mode-");
afterAll(async () => {
  await stopAll();
  dir.cleanup();
});

interface Response {
  status: string;
  headers: Map<string, string>;
  body: string;
}

/**
 * Send `text` on one connection and read `methods.length` responses (framed by Content-Length
 * or chunked coding; none for HEAD), or fail after 5 s with what came.
 */
function pipeline(port: number, text: string, methods: string[]): Promise<Response[]> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1");
    let raw = "";
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`incomplete responses:\n${raw}`));
    }, 5000);
    socket.on("data", (c: Buffer) => {
      raw += c.toString("latin1");
      const out = parseResponses(raw, methods);
      if (out === undefined) return;
      clearTimeout(timer);
      socket.destroy();
      resolve(out);
    });
    socket.once("error", reject);
    socket.write(text);
  });
}

function parseResponses(raw: string, methods: string[]): Response[] | undefined {
  const out: Response[] = [];
  let at = 0;
  for (const method of methods) {
    const end = raw.indexOf("\r\n\r\n", at);
    if (end < 0) return undefined;
    const [status, ...lines] = raw.slice(at, end).split("\r\n");
    const headers = new Map(
      lines.map((l) => [
        l.slice(0, l.indexOf(":")).toLowerCase(),
        l.slice(l.indexOf(":") + 1).trim(),
      ]),
    );
    at = end + 4;
    let body = "";
    if (method === "HEAD") {
      // no body
    } else if (headers.get("transfer-encoding") === "chunked") {
      for (;;) {
        const eol = raw.indexOf("\r\n", at);
        if (eol < 0) return undefined;
        const size = parseInt(raw.slice(at, eol), 16);
        if (raw.length < eol + 2 + size + 2) return undefined;
        body += raw.slice(eol + 2, eol + 2 + size);
        at = eol + 2 + size + 2;
        if (size === 0) break;
      }
    } else {
      const length = Number(headers.get("content-length") ?? "0");
      if (raw.length < at + length) return undefined;
      body = raw.slice(at, at + length);
      at += length;
    }
    out.push({ status: status!, headers, body });
  }
  return out;
}

async function startHandler(sendSpec: string, recvSpec: string, ...extra: string[]): Promise<Proc> {
  const proc = startFerry([
    "handler",
    APP,
    "--protocol",
    "mongrel2",
    "--send-spec",
    sendSpec,
    "--recv-spec",
    recvSpec,
    ...extra,
  ]);
  await proc.waitFor(/handler ready/);
  return proc;
}

/** Until the handler answers (Mongrel2 hangs with no handler; Ferry says 503). */
async function waitServed(url: string): Promise<void> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const ok = await fetch(`${url}/fast`, { signal: AbortSignal.timeout(300) }).then(
      (r) => r.status === 200,
      () => false,
    );
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`not served: ${url}`);
    await new Promise((r) => setTimeout(r, 25)); // bounded polling: ZeroMQ connects asynchronously
  }
}

async function behindMongrel2(
  options: { chroot?: boolean; settings?: Record<string, number> } = {},
  ...extra: Array<(m2: Mongrel2Server) => string[]>
): Promise<{ m2: Mongrel2Server; handler: Proc; sendSpec: string; recvSpec: string }> {
  const [a, b] = await freePorts(2);
  const sendSpec = `tcp://127.0.0.1:${a}`;
  const recvSpec = `tcp://127.0.0.1:${b}`;
  const m2 = await startMongrel2({
    routes: { "/": { sendSpec, recvSpec, sendIdent: SEND_IDENT } },
    ...options,
  });
  const handler = await startHandler(sendSpec, recvSpec, ...extra.flatMap((f) => f(m2)));
  await waitServed(m2.url);
  return { m2, handler, sendSpec, recvSpec };
}

async function behindFerry(): Promise<{ port: number; url: string }> {
  const fe = await startFerryM2(dir.path, { main: { names: ["*"] } });
  await startHandler(fe.groups.main!.sendSpec, fe.groups.main!.recvSpec);
  await waitServed(fe.url);
  return fe;
}

const PIPELINED =
  "GET /slow?ms=200 HTTP/1.1\r\nHost: localhost\r\n\r\n" +
  "HEAD /fast HTTP/1.1\r\nHost: localhost\r\n\r\n" +
  "GET /nolength HTTP/1.1\r\nHost: localhost\r\n\r\n";

describe("SDK in mongrel2 mode", () => {
  const fronts: Record<string, { port: number; url: string }> = {};
  let direct: Server;
  let directUrl: string;

  beforeAll(async () => {
    direct = createServer(app as Parameters<typeof createServer>[1]);
    await new Promise<void>((r) => direct.listen(0, "127.0.0.1", r));
    directUrl = `http://127.0.0.1:${(direct.address() as AddressInfo).port}`;
    const [m2, ferry] = await Promise.all([behindMongrel2(), behindFerry()]);
    fronts.mongrel2 = { port: m2.m2.port, url: m2.m2.url };
    fronts.ferry = ferry;
  }, 30_000);

  afterAll(() => new Promise<void>((r) => direct.close(() => r())));

  for (const front of ["mongrel2", "ferry"]) {
    it(`${front}: pipelined requests are answered in order, each framed for its own`, async () => {
      const [slow, head, nolength] = await pipeline(fronts[front]!.port, PIPELINED, [
        "GET",
        "HEAD",
        "GET",
      ]);
      expect(slow!.body).toBe("slow 200");
      expect(head!.status).toBe("HTTP/1.1 200 OK");
      // node:http sends no length for HEAD, even after res.end("fast").
      expect(head!.headers.has("content-length")).toBe(false);
      expect(head!.headers.get("content-type")).toBe("text/plain");
      expect(nolength!.headers.get("transfer-encoding")).toBe("chunked");
      expect(nolength!.body).toBe("no length");
    });

    it(`${front}: HEAD of a response without a length has the headers node:http sends`, async () => {
      const c = { name: "HEAD, no length", method: "HEAD", path: "/nolength" };
      const [want, got] = await Promise.all([run(directUrl, c), run(fronts[front]!.url, c)]);
      expect(got.status).toBe(want.status);
      expect(got.headers).toEqual(want.headers);
      expect(got.headers.some((h) => /^(content-length|transfer-encoding):/.test(h))).toBe(false);
    });
  }
});

function upload(
  url: string,
  size: number,
): Promise<{ status: number; body: unknown; sha: string }> {
  const data = Buffer.alloc(size, "spooled body ");
  const sha = createHash("sha256").update(data).digest("hex");
  return fetch(`${url}/upload`, { method: "POST", body: data }).then(async (res) => ({
    status: res.status,
    body: await res.json(),
    sha,
  }));
}

/** Until Mongrel2's upload directory is empty (the handler deletes after answering). */
async function uploadsDeleted(m2: Mongrel2Server): Promise<void> {
  const deadline = Date.now() + 5000;
  while (readdirSync(join(m2.dir, "uploads")).length > 0) {
    if (Date.now() > deadline)
      throw new Error(`spooled files left: ${readdirSync(join(m2.dir, "uploads")).join(", ")}`);
    await new Promise((r) => setTimeout(r, 20)); // bounded polling: deletion follows the reply
  }
}

describe("SDK in mongrel2 mode: uploads Mongrel2 spooled to a file", () => {
  const settings = { "limits.content_length": 4096 };

  it("read from the file, which is deleted once answered", async () => {
    const { m2 } = await behindMongrel2({ settings });
    const r = await upload(m2.url, 100_000);
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ bytes: 100_000, sha256: r.sha });
    await uploadsDeleted(m2);
    await m2.stop();
  });

  it("upload headers a client sends itself name no file: the body is its own, the file stays", async () => {
    const { m2 } = await behindMongrel2({ settings });
    const victim = join(dir.path, "victim.txt");
    writeFileSync(victim, "not yours");
    const body = "inline body";
    const res = await fetch(`${m2.url}/upload`, {
      method: "POST",
      body,
      headers: { "x-mongrel2-upload-start": victim, "x-mongrel2-upload-done": victim },
    });
    expect(await res.json()).toEqual({
      bytes: body.length,
      sha256: createHash("sha256").update(body).digest("hex"),
    });
    expect(readFileSync(victim, "utf8")).toBe("not yours");
    await m2.stop();
  });

  it.skipIf(!canChroot)(
    'behind a chrooted Mongrel2 (chroot="./"), with --mongrel2-chroot',
    async () => {
      const { m2 } = await behindMongrel2({ chroot: true, settings }, (m) => [
        "--mongrel2-chroot",
        m.dir,
      ]);
      const r = await upload(m2.url, 100_000);
      expect(r.status).toBe(200);
      expect(r.body).toEqual({ bytes: 100_000, sha256: r.sha });
      await uploadsDeleted(m2);
      await m2.stop();
    },
  );
});

describe("SDK in mongrel2 mode: the ready line", () => {
  it("names the send and recv specs it serves, not Ferry's endpoints", async () => {
    const [a, b] = await freePorts(2);
    const handler = await startHandler(`tcp://127.0.0.1:${a}`, `tcp://127.0.0.1:${b}`);
    const line = handler
      .output()
      .split("\n")
      .find((l) => l.includes("handler ready"))!;
    const ready = JSON.parse(line) as Record<string, unknown>;
    expect(ready.servers).toEqual([`tcp://127.0.0.1:${a},tcp://127.0.0.1:${b}`]);
    expect(ready.protocol).toBe("mongrel2");
    expect(ready).not.toHaveProperty("frontends");
    await handler.stop();
  });
});
