/**
 * The request table run against the Express and Hono examples, served directly by node:http
 * and through Ferry: the two runs must answer identically.
 */
import { request } from "node:http";

export interface Case {
  name: string;
  method?: string;
  path: string;
  headers?: Record<string, string>;
  body?: Buffer | string;
}

function binary(n: number): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = (i * 7 + (i >> 8)) & 0xff;
  return b;
}

export const CASES: Case[] = [
  { name: "root (html)", path: "/" },
  { name: "list", path: "/notes" },
  { name: "route parameter", path: "/notes/1" },
  { name: "app 404", path: "/notes/99" },
  { name: "query string", path: "/search?q=hello%20world&tag=a&tag=b&empty=" },
  {
    name: "json body",
    method: "POST",
    path: "/notes",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ text: "hello ferry" }),
  },
  {
    name: "json body, invalid",
    method: "POST",
    path: "/notes",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ nope: 1 }),
  },
  { name: "created note is there", path: "/notes/2" },
  {
    name: "form body",
    method: "POST",
    path: "/form",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: "a=1&b=two+words&c=%C3%A9",
  },
  {
    name: "binary upload",
    method: "POST",
    path: "/upload",
    headers: { "content-type": "application/octet-stream" },
    body: binary(512 * 1024),
  },
  { name: "set cookies and redirect", path: "/login" },
  { name: "cookies sent", path: "/me", headers: { cookie: "session=s3cr3t; theme=dark" } },
  { name: "permanent redirect", path: "/old" },
  { name: "streaming writes", path: "/stream" },
  { name: "unknown route", path: "/no/such/page" },
  { name: "thrown error", path: "/boom" },
  { name: "rejected promise", path: "/async-boom" },
  { name: "HEAD", method: "HEAD", path: "/" },
  { name: "HEAD of json", method: "HEAD", path: "/notes" },
  { name: "large response", path: "/large" },
];

/** Headers that belong to the connection or the moment, not to the app. */
const IGNORED = new Set(["date", "connection", "keep-alive"]);

export interface Outcome {
  status: number;
  headers: string[];
  body: Buffer;
}

export function run(base: string, c: Case): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const req = request(
      `${base}${c.path}`,
      { method: c.method ?? "GET", headers: c.headers, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (d: Buffer) => chunks.push(d));
        res.on("end", () => {
          const headers: string[] = [];
          for (let i = 0; i < res.rawHeaders.length; i += 2) {
            const name = res.rawHeaders[i]!.toLowerCase();
            if (!IGNORED.has(name)) headers.push(`${name}: ${res.rawHeaders[i + 1]}`);
          }
          resolve({
            status: res.statusCode ?? 0,
            headers: headers.sort(),
            body: Buffer.concat(chunks),
          });
        });
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end(c.body);
  });
}
