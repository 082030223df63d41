/**
 * The integration table every Python web app example passes through a real frontend: GET, POST
 * JSON, urlencoded and multipart forms, file upload, cookies and sessions, redirects, a streamed
 * response, 404, an exception -> 500, non-UTF-8 body bytes and path bytes. The app is mounted at
 * the frontend route `/app` (SCRIPT_NAME) and at `/`.
 */
import { createHash } from "node:crypto";
import { expect, it } from "vitest";

interface Got {
  status: number;
  headers: Headers;
  body: Buffer;
}

async function send(url: string, init: RequestInit = {}): Promise<Got> {
  const res = await fetch(url, { redirect: "manual", ...init });
  return { status: res.status, headers: res.headers, body: Buffer.from(await res.arrayBuffer()) };
}

function json(got: Got): unknown {
  return JSON.parse(got.body.toString("utf8")) as unknown;
}

/** `name=value` pairs of every Set-Cookie, as a Cookie header would send them back. */
function cookieHeader(got: Got, jar: Map<string, string> = new Map()): Map<string, string> {
  for (const line of got.headers.getSetCookie()) {
    const [pair] = line.split(";");
    const eq = pair!.indexOf("=");
    jar.set(pair!.slice(0, eq).trim(), pair!.slice(eq + 1).trim());
  }
  return jar;
}

function cookies(jar: Map<string, string>): string {
  return [...jar].map(([k, v]) => `${k}=${v}`).join("; ");
}

/** Bytes that are not UTF-8 anywhere: a lone continuation byte, 0xff, NUL, a bad sequence. */
const NOT_UTF8 = Buffer.from([0xff, 0xfe, 0x00, 0x80, 0xc3, 0x28, 0x41]);

export interface TableOptions {
  /**
   * How the app reports PATH_INFO: `raw` = the hex of its bytes (the environ as given), `django` =
   * Django's request.path_info (UTF-8 decoded, other bytes re-percent-encoded by Django).
   */
  pathInfo: "raw" | "django";
}

/** Registers the table's `it` cases for the app served at `base()` (e.g. http://host:port). */
export function integrationTable(
  base: () => string,
  appLog: () => string,
  options: TableOptions,
): void {
  const app = () => `${base()}/app`;

  it("GET with a query string", async () => {
    const got = await send(`${app()}/hello?name=Ferry`);
    expect(got.status).toBe(200);
    expect(got.body.toString()).toBe("Hello, Ferry!");
    expect(got.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(got.headers.get("content-length")).toBe("13");
  });

  it("GET on the root mount (SCRIPT_NAME empty)", async () => {
    const got = await send(`${base()}/path/x`);
    expect(got.status).toBe(200);
    expect(json(got)).toMatchObject({ script_name: "" });
  });

  it("HEAD keeps Content-Length and sends no body", async () => {
    const got = await send(`${app()}/hello`, { method: "HEAD" });
    expect(got.status).toBe(200);
    expect(got.headers.get("content-length")).toBe("13");
    expect(got.body.length).toBe(0);
  });

  it("POST JSON", async () => {
    const value = { a: [1, "é", null], b: { c: true } };
    const got = await send(`${app()}/json`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(value),
    });
    expect(got.status).toBe(200);
    expect(json(got)).toEqual({ got: value, type: "application/json" });
  });

  it("POST 10 MiB of JSON (streamed into wsgi.input past the inline limit)", async () => {
    const value = {
      items: Array.from({ length: 80_000 }, (_, i) => `item ${i} ${"é".repeat(60)}`),
    };
    const text = JSON.stringify(value);
    expect(Buffer.byteLength(text)).toBeGreaterThan(10 * 1024 * 1024);
    const got = await send(`${app()}/json`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: text,
    });
    expect(got.status).toBe(200);
    expect(json(got)).toEqual({ got: value, type: "application/json" });
  }, 60_000);

  it("POST an urlencoded form (repeated fields, UTF-8 values)", async () => {
    const got = await send(`${app()}/form`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: "a=1&a=2&b=caf%C3%A9&c=x+y",
    });
    expect(got.status).toBe(200);
    expect(json(got)).toEqual({ form: { a: ["1", "2"], b: ["café"], c: ["x y"] } });
  });

  it("POST a multipart form", async () => {
    const form = new FormData();
    form.append("a", "1");
    form.append("a", "2");
    form.append("b", "café");
    const got = await send(`${app()}/form`, { method: "POST", body: form });
    expect(got.status).toBe(200);
    expect(json(got)).toEqual({ form: { a: ["1", "2"], b: ["café"] } });
  });

  it("upload a 300 KB binary file with a form field", async () => {
    const data = Buffer.alloc(300 * 1024);
    for (let i = 0; i < data.length; i++) data[i] = (i * 131 + 7) & 0xff;
    const form = new FormData();
    form.append("note", "a note");
    form.append("file", new Blob([data]), "data.bin");
    const got = await send(`${app()}/upload`, { method: "POST", body: form });
    expect(got.status).toBe(200);
    expect(json(got)).toEqual({
      field: "a note",
      filename: "data.bin",
      size: data.length,
      sha256: createHash("sha256").update(data).digest("hex"),
    });
  });

  it("cookies: set, then sent back", async () => {
    const set = await send(`${app()}/cookie/set?value=ginger`);
    expect(set.status).toBe(200);
    const jar = cookieHeader(set);
    expect(jar.get("flavour")).toBe("ginger");
    const got = await send(`${app()}/cookie/get`, { headers: { cookie: cookies(jar) } });
    expect(json(got)).toEqual({ flavour: "ginger" });
  });

  it("sessions: a counter kept across requests", async () => {
    const jar = new Map<string, string>();
    const counts: unknown[] = [];
    for (let i = 0; i < 3; i++) {
      const got = await send(`${app()}/session/incr`, {
        method: "POST",
        headers: { cookie: cookies(jar) },
      });
      expect(got.status).toBe(200);
      cookieHeader(got, jar);
      counts.push((json(got) as { count: number }).count);
    }
    expect(counts).toEqual([1, 2, 3]);
  });

  it("redirects: Location under the mount point, and followed", async () => {
    const got = await send(`${app()}/redirect`);
    expect(got.status).toBe(302);
    const location = got.headers.get("location")!;
    expect(new URL(location, app()).pathname + new URL(location, app()).search).toBe(
      "/app/hello?name=redirected",
    );
    const followed = await send(new URL(location, `${app()}/`).href);
    expect(followed.body.toString()).toBe("Hello, redirected!");
  });

  it("a streamed response arrives chunked and complete", async () => {
    const got = await send(`${app()}/stream?n=20`);
    expect(got.status).toBe(200);
    expect(got.headers.get("transfer-encoding")).toBe("chunked");
    expect(got.headers.get("content-length")).toBeNull();
    expect(got.body.toString()).toBe(Array.from({ length: 20 }, (_, i) => `chunk ${i}\n`).join(""));
  });

  it("404 for an unknown path", async () => {
    const got = await send(`${app()}/no/such/page`);
    expect(got.status).toBe(404);
  });

  it("an exception in the app is a 500, and its traceback is logged", async () => {
    const got = await send(`${app()}/boom`);
    expect(got.status).toBe(500);
    const deadline = Date.now() + 5000;
    while (!appLog().includes("fails on purpose") && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(appLog()).toContain("RuntimeError: the example app fails on purpose");
  });

  it("non-UTF-8 body bytes arrive exactly", async () => {
    const got = await send(`${app()}/bytes`, {
      method: "POST",
      headers: { "content-type": "application/octet-stream" },
      body: NOT_UTF8,
    });
    expect(got.status).toBe(200);
    expect(json(got)).toEqual({ size: NOT_UTF8.length, hex: NOT_UTF8.toString("hex") });
  });

  it("non-UTF-8 path bytes arrive exactly in PATH_INFO", async () => {
    // é in UTF-8 (C3 A9), then E9 and FF, which are not UTF-8, then an encoded space.
    const got = await send(`${app()}/path/caf%C3%A9%E9%FF%20x`);
    expect(got.status).toBe(200);
    if (options.pathInfo === "raw") {
      const raw = Buffer.from([
        ...Buffer.from("/path/caf"),
        0xc3,
        0xa9,
        0xe9,
        0xff,
        ...Buffer.from(" x"),
      ]);
      expect(json(got)).toEqual({ path_info_hex: raw.toString("hex"), script_name: "/app" });
    } else {
      expect(json(got)).toEqual({ path_info: "/path/café%E9%FF x", script_name: "/app" });
    }
  });
}
