/**
 * The two apps of the differential test, as the source files a user would write: a Fetch app
 * (ES module, `export default { fetch }`) and a Node `(req, res)` app (CommonJS, with the
 * `if (!module.parent) listen()` idiom, so running it with `node` serves it directly and
 * `ferry handler` must load it without starting that listener). Both dump what they observe
 * at /dump and produce the edge responses at the other paths.
 */
import { writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

/** The size of the large response with a known length. */
export const LARGE = 10 * 1024 * 1024;

const FETCH_APP = `
const pending = new Map();
const LARGE = ${LARGE};

async function body(request, mode) {
  if (request.body === null) return { bodyNull: true };
  if (mode === "text") return { bodyNull: false, text: await request.text() };
  if (mode === "arrayBuffer")
    return { bodyNull: false, base64: Buffer.from(await request.arrayBuffer()).toString("base64") };
  const parts = [];
  for await (const chunk of request.body) parts.push(Buffer.from(chunk));
  return { bodyNull: false, base64: Buffer.concat(parts).toString("base64") };
}

export default {
  async fetch(request) {
    const url = new URL(request.url);
    const id = url.searchParams.get("id");
    switch (url.pathname) {
      case "/dump":
        return Response.json({
          method: request.method,
          url: request.url,
          headers: [...request.headers],
          ...(await body(request, url.searchParams.get("read") ?? "text")),
        });
      case "/app-error/undefined":
        return undefined;
      case "/app-error/null":
        return null;
      case "/app-error/throw-string":
        throw "a string, not an Error";
      case "/app-error/reject-undefined":
        return Promise.reject(undefined);
      case "/reason":
        return new Response("reason", { status: 200, statusText: "Very Fine" });
      case "/case":
        return new Response("case", { headers: { "X-Mixed-Case": "1", ETag: '"e"' } });
      case "/empty":
        return new Response(null);
      case "/empty-string":
        return new Response("");
      case "/204":
        return new Response(null, { status: 204 });
      case "/large":
        return new Response(new Uint8Array(LARGE).fill(120));
      case "/delayed":
        return new Response(
          new ReadableStream({ start: (c) => void pending.set(id, c) }),
          { headers: { "content-type": "text/event-stream" } },
        );
      case "/release": {
        const c = pending.get(id);
        pending.delete(id);
        c?.enqueue(new TextEncoder().encode("data: late\\n\\n"));
        c?.close();
        return new Response(c ? "released" : "nothing to release");
      }
      case "/stream-error":
        return new Response(
          new ReadableStream({
            start(c) {
              c.enqueue(new TextEncoder().encode("part"));
              pending.set(id, { fail: () => c.error(new Error("upstream failed")) });
            },
          }),
        );
      case "/fail": {
        const c = pending.get(id);
        pending.delete(id);
        c?.fail();
        return new Response(c ? "failed" : "nothing to fail");
      }
      default:
        return new Response("not found", { status: 404 });
    }
  },
};
`;

const NODE_APP = `
const http = require("node:http");
const pending = new Map();
const LARGE = ${LARGE};

function readBody(req, mode, done) {
  const parts = [];
  const finish = () => done(Buffer.concat(parts).toString("base64"));
  if (mode === "iterate") {
    (async () => {
      for await (const chunk of req) parts.push(chunk);
      finish();
    })();
  } else if (mode === "readable") {
    req.on("readable", () => {
      let chunk;
      while ((chunk = req.read()) !== null) parts.push(chunk);
    });
    req.on("end", finish);
  } else {
    req.on("data", (chunk) => parts.push(chunk));
    req.on("end", finish);
  }
}

function app(req, res) {
  const url = new URL(req.url, "http://unused.invalid");
  const id = url.searchParams.get("id");
  switch (url.pathname) {
    case "/dump":
      return readBody(req, url.searchParams.get("read") ?? "data", (base64) => {
        const s = req.socket;
        res.setHeader("Content-Type", "application/json");
        res.end(
          JSON.stringify({
            method: req.method,
            url: req.url,
            httpVersion: req.httpVersion,
            rawHeaders: req.rawHeaders,
            base64,
            socket: {
              remoteAddress: s.remoteAddress,
              remotePort: typeof s.remotePort,
              remoteFamily: s.remoteFamily,
              localAddress: s.localAddress,
              localPort: s.localPort,
              encrypted: Boolean(s.encrypted),
            },
          }),
        );
      });
    case "/reason":
      res.statusMessage = "Very Fine";
      return res.end("reason");
    case "/case":
      res.setHeader("X-Mixed-Case", "1");
      res.setHeader("ETag", '"e"');
      return res.end("case");
    case "/empty":
      return res.end();
    case "/empty-string":
      return res.end("");
    case "/204":
      res.statusCode = 204;
      return res.end();
    case "/large":
      return res.end(Buffer.alloc(LARGE, 120));
    case "/delayed":
      res.writeHead(200, { "Content-Type": "text/event-stream" });
      res.flushHeaders();
      pending.set(id, res);
      return;
    case "/release": {
      const held = pending.get(id);
      pending.delete(id);
      held?.end("data: late\\n\\n");
      return res.end(held ? "released" : "nothing to release");
    }
    case "/stream-error":
      res.writeHead(200, { "Content-Type": "text/plain" });
      res.write("part");
      pending.set(id, res);
      return;
    case "/fail": {
      const held = pending.get(id);
      pending.delete(id);
      held?.destroy();
      return res.end(held ? "failed" : "nothing to fail");
    }
    default:
      res.statusCode = 404;
      return res.end("not found");
  }
}

module.exports = app;

if (!module.parent) {
  http.createServer(app).listen(Number(process.env.PORT), "127.0.0.1", () => {
    console.log("listening");
  });
}
`;

/** Serves the Fetch app directly with @hono/node-server, as its users do. */
function honoRunner(): string {
  const hono = createRequire(import.meta.url).resolve("@hono/node-server");
  const esm = hono.replace(/\.c?js$/, ".mjs");
  return `
import { serve } from ${JSON.stringify(pathToFileURL(esm).href)};
import app from "./fetch-app.mjs";
serve({ fetch: app.fetch, port: Number(process.env.PORT), hostname: "127.0.0.1" }, () => {
  console.log("listening");
});
`;
}

export interface AppFiles {
  fetchApp: string;
  honoRunner: string;
  nodeApp: string;
}

export function writeApps(dir: string): AppFiles {
  const files = {
    fetchApp: join(dir, "fetch-app.mjs"),
    honoRunner: join(dir, "hono-runner.mjs"),
    nodeApp: join(dir, "node-app.cjs"),
  };
  writeFileSync(files.fetchApp, FETCH_APP);
  writeFileSync(files.honoRunner, honoRunner());
  writeFileSync(files.nodeApp, NODE_APP);
  return files;
}
