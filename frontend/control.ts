/**
 * The optional control listener: `/health` (JSON: groups, live handlers, in flight), `/metrics`
 * (Prometheus text, read at scrape time), `/status` (JSON, status/snapshot.ts), the live status
 * page at `/` and `/status.html`, and `POST /reload`. Off loopback a token is required; with a
 * token every path but /health needs it (`Authorization: Bearer TOKEN`, or `?token=` for the
 * page, which passes its own on).
 */
import { createHash, timingSafeEqual } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { Counter, Gauge, Registry } from "prom-client";
import { controlToken } from "./status/control-token.js";
import type { Counters } from "./metrics.js";
import type { Reloader } from "./reload/reloader.js";
import type { Frontend } from "./server.js";
import { STATUS_PAGE } from "./status/page.js";
import { statusSnapshot } from "./status/snapshot.js";

export interface Control {
  readonly address: string;
  /** Whether requests must carry the token. */
  readonly tokenRequired: boolean;
  close(): Promise<void>;
}

export interface ControlOptions {
  host: string;
  port: number;
  /** From the config's control.token or FERRY_CONTROL_TOKEN. */
  token?: string | undefined;
  reloader?: Reloader | undefined;
  /** Where the config came from (a file, or "built-in default"). */
  source?: string;
}

function snake(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

export function metricsRegistry(server: Frontend, reloader?: Reloader): Registry {
  const registry = new Registry();
  for (const key of Object.keys(server.counters) as (keyof Counters)[]) {
    new Counter({
      name: `ferry_${snake(key)}_total`,
      help: `Frontend counter ${key}.`,
      registers: [registry],
      collect() {
        this.reset();
        this.inc(server.counters[key]);
      },
    });
  }
  new Counter({
    name: "ferry_reloads_total",
    help: "Config reloads, by result (ok: in force; failed: refused, the running config kept).",
    labelNames: ["result"],
    registers: [registry],
    collect() {
      this.reset();
      this.inc({ result: "ok" }, reloader?.counts.ok ?? 0);
      this.inc({ result: "failed" }, reloader?.counts.failed ?? 0);
    },
  });
  new Gauge({
    name: "ferry_connections",
    help: "Open client connections.",
    registers: [registry],
    collect() {
      this.set(server.connections.size);
    },
  });
  new Gauge({
    name: "ferry_websockets_open",
    help: "Open WebSockets.",
    registers: [registry],
    collect() {
      this.set(server.websockets.size);
    },
  });
  new Gauge({
    name: "ferry_group_live_handlers",
    help: "Live handlers per group.",
    labelNames: ["group"],
    registers: [registry],
    collect() {
      this.reset();
      for (const g of server.groups.values()) this.set({ group: g.name }, g.status().live);
    },
  });
  new Gauge({
    name: "ferry_group_inflight",
    help: "Requests held per group (queued, dispatched, responding).",
    labelNames: ["group"],
    registers: [registry],
    collect() {
      this.reset();
      for (const g of server.groups.values()) this.set({ group: g.name }, g.inflight);
    },
  });
  return registry;
}

function digest(s: string): Buffer {
  return createHash("sha256").update(s).digest();
}

/** The token a request carries: a Bearer header, or `?token=` (the page and its polls). */
function offered(req: IncomingMessage, url: URL): string | undefined {
  const auth = req.headers.authorization;
  if (auth !== undefined && /^bearer /i.test(auth)) return auth.slice(7).trim();
  return url.searchParams.get("token") ?? undefined;
}

function sendJson(res: ServerResponse, status: number, value: unknown): void {
  res.writeHead(status, { "content-type": "application/json", "cache-control": "no-store" });
  res.end(JSON.stringify(value) + "\n");
}

export function startControl(server: Frontend, options: ControlOptions): Promise<Control> {
  const { host, port, reloader } = options;
  const token = controlToken({ host, token: options.token }, {});
  const expected = token ? digest(token) : undefined;
  const registry = metricsRegistry(server, reloader);
  const source = options.source ?? "built-in default";
  const http = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://control");
    const path = url.pathname;
    if (path === "/health") {
      const groups = [...server.groups.values()].map((g) => g.status());
      const ok = groups.every((g) => g.live > 0);
      return sendJson(res, ok ? 200 : 503, {
        ok,
        fid: server.fid,
        connections: server.connections.size,
        groups,
      });
    }
    if (expected !== undefined) {
      const given = offered(req, url);
      if (given === undefined || !timingSafeEqual(digest(given), expected)) {
        res.setHeader("www-authenticate", 'Bearer realm="ferry control"');
        return sendJson(res, 401, {
          error: {
            code: "FERRY_CONTROL_TOKEN",
            message:
              "this control listener needs its token: Authorization: Bearer TOKEN, or ?token=TOKEN",
          },
        });
      }
    }
    if (path === "/metrics") {
      registry.metrics().then(
        (text) => {
          res.writeHead(200, { "content-type": registry.contentType });
          res.end(text);
        },
        (err: Error) => {
          res.writeHead(500);
          res.end(err.message);
        },
      );
    } else if (path === "/status") {
      sendJson(res, 200, statusSnapshot(server, { source, reloads: reloader }));
    } else if (path === "/" || path === "/status.html") {
      res.writeHead(200, {
        "content-type": "text/html; charset=utf-8",
        "cache-control": "no-store",
        "content-security-policy":
          "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'",
      });
      res.end(STATUS_PAGE);
    } else if (path === "/reload") {
      if (req.method !== "POST") {
        res.setHeader("allow", "POST");
        res.writeHead(405, { "content-type": "text/plain" });
        return res.end("POST /reload\n");
      }
      if (reloader === undefined) {
        res.writeHead(404, { "content-type": "text/plain" });
        return res.end("reloads are not available here\n");
      }
      req.resume();
      void reloader
        .reload("control")
        .then((result) => sendJson(res, result.ok ? 200 : 422, result));
    } else {
      res.writeHead(404, { "content-type": "text/plain" });
      res.end("not found: try /, /status, /health, /metrics or POST /reload\n");
    }
  });
  return new Promise((resolve, reject) => {
    http.once("error", reject);
    http.listen(port, host, () => {
      http.off("error", reject);
      const a = http.address();
      const address =
        a && typeof a === "object"
          ? `http://${a.family === "IPv6" ? `[${a.address}]` : a.address}:${a.port}`
          : String(a);
      resolve({
        address,
        tokenRequired: expected !== undefined,
        close: () =>
          new Promise<void>((done) => {
            http.close(() => done());
            http.closeAllConnections();
          }),
      });
    });
  });
}
