import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  realpathSync,
  writeFileSync,
  utimesSync,
} from "node:fs";
import { join } from "node:path";
import { createHash, randomBytes } from "node:crypto";
import { brotliCompressSync, gzipSync } from "node:zlib";
import { request, Agent } from "undici";
import {
  StaticRouteConfigSchema,
  serveStatic,
  type StaticRouteInput,
} from "../../../frontend/static/index.js";
import { tempDir } from "../../support/tmp.js";
import { rawGet, serveHandler, type TestServer } from "./support.js";

const tmp = tempDir("ferry-static-");
const root = join(tmp.path, "root");
const agent = new Agent();
const servers: TestServer[] = [];
const HELLO = "hello, static world\n";
const MTIME = new Date("2024-03-01T12:00:00Z");
const big = randomBytes(8 * 1024 * 1024 + 123);

async function mount(input: Partial<StaticRouteInput> = {}): Promise<string> {
  const route = StaticRouteConfigSchema.parse({ dir: root, ...input });
  const s = await serveHandler((req, res) => serveStatic(req, res, route));
  servers.push(s);
  return s.origin;
}

async function get(
  origin: string,
  path: string,
  headers: Record<string, string> = {},
  method = "GET",
) {
  const res = await request(`${origin}${path}`, {
    method: method as "GET",
    headers,
    dispatcher: agent,
  });
  const body = Buffer.from(await res.body.arrayBuffer());
  return { status: res.statusCode, headers: res.headers, body, text: body.toString("utf8") };
}

let origin: string;

beforeAll(async () => {
  mkdirSync(join(root, "sub"), { recursive: true });
  mkdirSync(join(root, "noindex"));
  writeFileSync(join(root, "hello.txt"), HELLO);
  mkdirSync(join(root, ".git"));
  mkdirSync(join(root, ".well-known"));
  writeFileSync(join(root, ".env"), "SECRET=1");
  writeFileSync(join(root, ".git", "config"), "[core]");
  writeFileSync(join(root, ".well-known", "acme"), "token");
  writeFileSync(join(root, "index.html"), "<h1>home</h1>");
  writeFileSync(join(root, "sub", "index.html"), "<h1>sub</h1>");
  writeFileSync(join(root, "empty.bin"), "");
  writeFileSync(join(root, "big.bin"), big);
  const js = "console.log('precompressed');\n".repeat(50);
  writeFileSync(join(root, "app.js"), js);
  writeFileSync(join(root, "app.js.gz"), gzipSync(js));
  writeFileSync(join(root, "app.js.br"), brotliCompressSync(js));
  utimesSync(join(root, "hello.txt"), MTIME, MTIME);
  origin = await mount({ cacheControl: "public, max-age=60" });
});

afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
  await agent.close();
  tmp.cleanup();
});

describe("static: basics", () => {
  it("serves a file with type, length and validators", async () => {
    const r = await get(origin, "/hello.txt");
    expect(r.status).toBe(200);
    expect(r.text).toBe(HELLO);
    expect(r.headers["content-type"]).toBe("text/plain; charset=utf-8");
    expect(r.headers["content-length"]).toBe(String(HELLO.length));
    expect(r.headers["etag"]).toMatch(/^"[0-9a-f]+-[0-9a-f]+"$/);
    expect(r.headers["last-modified"]).toBe(MTIME.toUTCString());
    expect(r.headers["accept-ranges"]).toBe("bytes");
    expect(r.headers["cache-control"]).toBe("public, max-age=60");
  });

  it("answers HEAD with the GET headers and no body", async () => {
    const r = await get(origin, "/hello.txt", {}, "HEAD");
    expect(r.status).toBe(200);
    expect(r.headers["content-length"]).toBe(String(HELLO.length));
    expect(r.body.length).toBe(0);
  });

  it("serves index files and redirects a directory without its slash", async () => {
    expect((await get(origin, "/")).text).toBe("<h1>home</h1>");
    expect((await get(origin, "/sub/?q=1")).text).toBe("<h1>sub</h1>");
    const r = await get(origin, "/sub?q=1");
    expect(r.status).toBe(301);
    expect(r.headers["location"]).toBe("/sub/?q=1");
    expect((await get(origin, "/noindex/")).status).toBe(404);
    // "//sub" must not become Location "//sub/", a link to the host "sub".
    expect((await rawGet(Number(new URL(origin).port), "//sub")).headers.get("location")).toBe(
      "/sub/",
    );
  });

  it("honours index: false and a list of index names", async () => {
    const none = await mount({ index: false });
    expect((await get(none, "/")).status).toBe(404);
    const list = await mount({ index: ["missing.html", "hello.txt"] });
    expect((await get(list, "/")).text).toBe(HELLO);
  });

  it("hides dotfiles unless allowed, but serves .well-known", async () => {
    expect((await get(origin, "/.env")).status).toBe(404);
    expect((await get(origin, "/.git/config")).status).toBe(404);
    expect((await get(origin, "/%2egit/config")).status).toBe(404);
    expect((await get(origin, "/.well-known/acme")).text).toBe("token");
    const open = await mount({ dotfiles: "allow" });
    expect((await get(open, "/.env")).text).toBe("SECRET=1");
    expect((await get(open, "/.git/config")).text).toBe("[core]");
  });

  it("404 for a missing file, 405 with Allow for other methods", async () => {
    expect((await get(origin, "/nope.txt")).status).toBe(404);
    expect((await get(origin, "/hello.txt/")).status).toBe(404);
    const r = await get(origin, "/hello.txt", {}, "POST");
    expect(r.status).toBe(405);
    expect(r.headers["allow"]).toBe("GET, HEAD");
  });

  it("serves an empty file, and 416 for any range of it", async () => {
    const r = await get(origin, "/empty.bin");
    expect(r.status).toBe(200);
    expect(r.headers["content-length"]).toBe("0");
    expect((await get(origin, "/empty.bin", { range: "bytes=0-" })).status).toBe(416);
  });

  it("maps paths below stripPrefix only", async () => {
    const prefixed = await mount({ stripPrefix: "/assets" });
    expect((await get(prefixed, "/assets/hello.txt")).text).toBe(HELLO);
    expect((await get(prefixed, "/hello.txt")).status).toBe(404);
    expect((await get(prefixed, "/assetsX/hello.txt")).status).toBe(404);
    const r = await get(prefixed, "/assets");
    expect(r.status).toBe(301);
    expect(r.headers["location"]).toBe("/assets/");
  });

  it("streams a large file intact", async () => {
    const r = await get(origin, "/big.bin");
    expect(r.status).toBe(200);
    const digest = (b: Buffer) => createHash("sha256").update(b).digest("hex");
    expect(digest(r.body)).toBe(digest(big));
  });

  it("closes the file of every download a client abandons", async () => {
    const bigPath = realpathSync(join(root, "big.bin"));
    const openOnBig = () =>
      readdirSync("/proc/self/fd").filter((fd) => {
        try {
          return readlinkSync(`/proc/self/fd/${fd}`) === bigPath;
        } catch {
          return false;
        }
      }).length;
    for (let i = 0; i < 10; i++) {
      const range = i % 2 === 0 ? {} : { range: "bytes=0-3000000,5000000-8000000" };
      const res = await request(`${origin}/big.bin`, { dispatcher: agent, headers: range });
      for await (const _chunk of res.body) break;
    }
    const deadline = Date.now() + 5_000;
    while (openOnBig() > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(openOnBig()).toBe(0);
  });

  it("survives a client that leaves mid-download", async () => {
    const res = await request(`${origin}/big.bin`, { dispatcher: agent });
    for await (const _chunk of res.body) break;
    expect((await get(origin, "/hello.txt")).text).toBe(HELLO);
  });
});

describe("static: conditional requests", () => {
  let etag = "";
  beforeAll(async () => {
    etag = String((await get(origin, "/hello.txt")).headers["etag"]);
  });

  it("304 on a matching If-None-Match (weak comparison, lists, *)", async () => {
    for (const value of [etag, `W/${etag}`, `"other", ${etag}`, "*"]) {
      const r = await get(origin, "/hello.txt", { "if-none-match": value });
      expect(r.status, value).toBe(304);
      expect(r.body.length).toBe(0);
      expect(r.headers["etag"]).toBe(etag);
      expect(r.headers["cache-control"]).toBe("public, max-age=60");
    }
    expect((await get(origin, "/hello.txt", { "if-none-match": '"other"' })).status).toBe(200);
  });

  it("304 on If-Modified-Since at or after Last-Modified; If-None-Match wins over it", async () => {
    const later = new Date(MTIME.getTime() + 1000).toUTCString();
    const earlier = new Date(MTIME.getTime() - 1000).toUTCString();
    expect(
      (await get(origin, "/hello.txt", { "if-modified-since": MTIME.toUTCString() })).status,
    ).toBe(304);
    expect((await get(origin, "/hello.txt", { "if-modified-since": later })).status).toBe(304);
    expect((await get(origin, "/hello.txt", { "if-modified-since": earlier })).status).toBe(200);
    expect((await get(origin, "/hello.txt", { "if-modified-since": "garbage" })).status).toBe(200);
    const both = { "if-none-match": '"other"', "if-modified-since": later };
    expect((await get(origin, "/hello.txt", both)).status).toBe(200);
  });

  it("412 on a failing If-Match or If-Unmodified-Since", async () => {
    expect((await get(origin, "/hello.txt", { "if-match": '"other"' })).status).toBe(412);
    expect((await get(origin, "/hello.txt", { "if-match": `W/${etag}` })).status).toBe(412);
    expect((await get(origin, "/hello.txt", { "if-match": etag })).status).toBe(200);
    expect((await get(origin, "/hello.txt", { "if-match": "*" })).status).toBe(200);
    const earlier = new Date(MTIME.getTime() - 1000).toUTCString();
    expect((await get(origin, "/hello.txt", { "if-unmodified-since": earlier })).status).toBe(412);
    expect(
      (await get(origin, "/hello.txt", { "if-unmodified-since": MTIME.toUTCString() })).status,
    ).toBe(200);
  });

  it("If-Range: a range only while the validator still matches", async () => {
    const range = { range: "bytes=0-4" };
    expect((await get(origin, "/hello.txt", { ...range, "if-range": etag })).status).toBe(206);
    expect((await get(origin, "/hello.txt", { ...range, "if-range": '"old"' })).status).toBe(200);
    expect((await get(origin, "/hello.txt", { ...range, "if-range": `W/${etag}` })).status).toBe(
      200,
    );
    expect(
      (await get(origin, "/hello.txt", { ...range, "if-range": MTIME.toUTCString() })).status,
    ).toBe(206);
    const earlier = new Date(MTIME.getTime() - 1000).toUTCString();
    expect((await get(origin, "/hello.txt", { ...range, "if-range": earlier })).status).toBe(200);
  });
});

describe("static: ranges", () => {
  it("serves one range with Content-Range", async () => {
    const cases: [string, string, string][] = [
      ["bytes=0-4", "hello", `bytes 0-4/${HELLO.length}`],
      ["bytes=-6", "world\n", `bytes ${HELLO.length - 6}-${HELLO.length - 1}/${HELLO.length}`],
      ["bytes=7-", HELLO.slice(7), `bytes 7-${HELLO.length - 1}/${HELLO.length}`],
      ["bytes=15-1000", HELLO.slice(15), `bytes 15-${HELLO.length - 1}/${HELLO.length}`],
      ["bytes=0-2,3-4", "hello", `bytes 0-4/${HELLO.length}`],
    ];
    for (const [range, body, contentRange] of cases) {
      const r = await get(origin, "/hello.txt", { range });
      expect(r.status, range).toBe(206);
      expect(r.text, range).toBe(body);
      expect(r.headers["content-range"], range).toBe(contentRange);
      expect(r.headers["content-length"], range).toBe(String(body.length));
    }
  });

  it("416 with bytes */size when nothing is satisfiable", async () => {
    const r = await get(origin, "/hello.txt", { range: `bytes=${HELLO.length}-` });
    expect(r.status).toBe(416);
    expect(r.headers["content-range"]).toBe(`bytes */${HELLO.length}`);
  });

  it("ignores malformed ranges, other units and HEAD", async () => {
    for (const range of ["bytes=5-2", "bytes=abc", "items=0-1", "bytes=", "bytes=--1"]) {
      expect((await get(origin, "/hello.txt", { range })).status, range).toBe(200);
    }
    expect((await get(origin, "/hello.txt", { range: "bytes=0-1" }, "HEAD")).status).toBe(200);
  });

  it("serves several ranges as multipart/byteranges", async () => {
    const r = await get(origin, "/hello.txt", { range: "bytes=0-4,-6" });
    expect(r.status).toBe(206);
    const boundary = /^multipart\/byteranges; boundary=(\S+)$/.exec(
      String(r.headers["content-type"]),
    )?.[1];
    expect(boundary).toBeDefined();
    expect(r.headers["content-length"]).toBe(String(r.body.length));
    const parts = r.text.split(`--${boundary}`).slice(1);
    expect(parts.pop()).toBe("--\r\n");
    const s = HELLO.length;
    expect(parts).toEqual([
      `\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Range: bytes 0-4/${s}\r\n\r\nhello\r\n`,
      `\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Range: bytes ${s - 6}-${s - 1}/${s}\r\n\r\nworld\n\r\n`,
    ]);
  });

  it("serves ranges of a large file byte-exactly", async () => {
    const start = 5 * 1024 * 1024 + 7;
    const r = await get(origin, "/big.bin", { range: `bytes=${start}-${start + 99999}` });
    expect(r.status).toBe(206);
    expect(r.body.equals(big.subarray(start, start + 100000))).toBe(true);
  });
});

describe("static: precompressed siblings", () => {
  it("picks br or gzip by Accept-Encoding and always sends Vary", async () => {
    const cases: [string | undefined, string | undefined, string][] = [
      ["gzip, br", "br", "app.js.br"],
      ["gzip", "gzip", "app.js.gz"],
      ["br;q=0, gzip", "gzip", "app.js.gz"],
      ["br;q=0.5, gzip;q=0.8", "gzip", "app.js.gz"],
      ["*", "br", "app.js.br"],
      ["identity", undefined, "app.js"],
      [undefined, undefined, "app.js"],
    ];
    const etags = new Set<string>();
    for (const [accept, coding, file] of cases) {
      const r = await get(
        origin,
        "/app.js",
        accept === undefined ? {} : { "accept-encoding": accept },
      );
      expect(r.status, accept).toBe(200);
      expect(r.headers["content-encoding"], accept).toBe(coding);
      expect(r.headers["content-type"], accept).toBe("text/javascript; charset=utf-8");
      expect(r.headers["vary"], accept).toBe("Accept-Encoding");
      expect(r.body.equals(readFileSync(join(root, file))), accept).toBe(true);
      etags.add(String(r.headers["etag"]));
    }
    expect(etags.size).toBe(3);
  });

  it("serves the identity file without Vary when precompressed is off", async () => {
    const plain = await mount({ precompressed: false });
    const r = await get(plain, "/app.js", { "accept-encoding": "br, gzip" });
    expect(r.headers["content-encoding"]).toBeUndefined();
    expect(r.headers["vary"]).toBeUndefined();
  });
});
