/**
 * The serving processes of the streaming benchmark's static and proxy modes (run from dist/, or
 * through tsx via `bench/streaming.ts --serve` without a build), and the proxy's upstream.
 */
import { once } from "node:events";
import { existsSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { BENCH, NODE_TS, ROOT, start, type Proc } from "../processes.js";

/**
 * The upstream of the proxy modes, in this process (its memory is not measured): GET sends
 * `size` zero bytes with backpressure, POST counts what arrives.
 */
export async function startUpstream(size: number): Promise<{ server: Server; url: string }> {
  const zeros = Buffer.alloc(256 * 1024);
  const server = createServer((req, res) => {
    if (req.url === "/warm") return void res.end("warm");
    if (req.method === "POST") {
      let bytes = 0;
      req.on("data", (c: Buffer) => (bytes += c.length));
      req.on("end", () => res.end(JSON.stringify({ bytes })));
      return;
    }
    res.writeHead(200, { "content-length": size });
    let left = size;
    const pump = () => {
      while (left > 0) {
        const piece = left >= zeros.length ? zeros : zeros.subarray(0, left);
        left -= piece.length;
        if (left === 0) res.end(piece);
        else if (!res.write(piece)) return void res.once("drain", pump);
      }
    };
    res.on("close", () => (left = 0));
    pump();
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

/** Source of the serving process for dist/ (no TypeScript loader in the measured RSS). */
function builtScript(kind: "static" | "proxy", arg: string): string | undefined {
  const built = join(ROOT, `dist/frontend/${kind}/index.js`);
  if (!existsSync(built)) return undefined;
  const module = JSON.stringify(pathToFileURL(built).href);
  const setup =
    kind === "static"
      ? [
          `import { serveStatic, StaticRouteConfigSchema } from ${module};`,
          `const route = StaticRouteConfigSchema.parse({ dir: ${JSON.stringify(arg)}, precompressed: false });`,
          `const handle = (req, res) => void serveStatic(req, res, route);`,
        ]
      : [
          `import { proxyRequest, ProxyRouteConfigSchema } from ${module};`,
          `const route = ProxyRouteConfigSchema.parse({ upstream: ${JSON.stringify(arg)} });`,
          `const handle = (req, res) => void proxyRequest(req, res, route);`,
        ];
  return [
    `import { createServer } from "node:http";`,
    ...setup,
    `const server = createServer(handle);`,
    `server.listen(0, "127.0.0.1", () => console.log("port " + server.address().port));`,
    `process.once("SIGTERM", () => process.exit(0));`,
  ].join("\n");
}

export function startServer(kind: "static" | "proxy", arg: string): Proc {
  const script = builtScript(kind, arg);
  if (script !== undefined) {
    return start(`${kind}-server`, process.execPath, ["--input-type=module", "-e", script]);
  }
  const [node = process.execPath, ...nodeArgs] = NODE_TS;
  const cli = join(BENCH, "streaming.ts");
  return start(`${kind}-server`, node, [...nodeArgs, cli, "--serve", kind, arg]);
}

/** A free loopback port (bound and released; the frontend binds it next). */
export async function freePort(): Promise<number> {
  const s = createServer();
  s.listen(0, "127.0.0.1");
  await once(s, "listening");
  const port = (s.address() as AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

/** Child mode without a build: serve through the TypeScript sources. */
export async function serve(kind: string, arg: string): Promise<void> {
  let handle: Parameters<typeof createServer>[1];
  if (kind === "static") {
    const { serveStatic, StaticRouteConfigSchema } = await import("../../frontend/static/index.js");
    const route = StaticRouteConfigSchema.parse({ dir: arg, precompressed: false });
    handle = (req, res) => void serveStatic(req, res, route);
  } else {
    const { proxyRequest, ProxyRouteConfigSchema } = await import("../../frontend/proxy/index.js");
    const route = ProxyRouteConfigSchema.parse({ upstream: arg });
    handle = (req, res) => void proxyRequest(req, res, route);
  }
  const server = createServer(handle);
  server.listen(0, "127.0.0.1", () => {
    console.log(`port ${(server.address() as AddressInfo).port}`);
  });
  process.once("SIGTERM", () => process.exit(0));
}
