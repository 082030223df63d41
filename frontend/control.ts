/**
 * The optional control listener: `/health` (JSON: groups, live handlers, in flight) and
 * `/metrics` (Prometheus text, from the Frontend's counters, read at scrape time).
 */
import { createServer } from "node:http";
import { Counter, Gauge, Registry } from "prom-client";
import type { Counters } from "./metrics.js";
import type { Frontend } from "./server.js";

export interface Control {
  readonly address: string;
  close(): Promise<void>;
}

function snake(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

export function metricsRegistry(server: Frontend): Registry {
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
      for (const g of server.groups.values()) this.set({ group: g.name }, g.status().live);
    },
  });
  new Gauge({
    name: "ferry_group_inflight",
    help: "Requests held per group (queued, dispatched, responding).",
    labelNames: ["group"],
    registers: [registry],
    collect() {
      for (const g of server.groups.values()) this.set({ group: g.name }, g.inflight);
    },
  });
  return registry;
}

export function startControl(server: Frontend, host: string, port: number): Promise<Control> {
  const registry = metricsRegistry(server);
  const http = createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    if (path === "/health") {
      const groups = [...server.groups.values()].map((g) => g.status());
      const ok = groups.every((g) => g.live > 0);
      res.writeHead(ok ? 200 : 503, { "content-type": "application/json" });
      res.end(
        JSON.stringify({ ok, fid: server.fid, connections: server.connections.size, groups }) +
          "\n",
      );
    } else if (path === "/metrics") {
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
    } else {
      res.writeHead(404, { "content-type": "text/plain" });
      res.end("not found: try /health or /metrics\n");
    }
  });
  return new Promise((resolve, reject) => {
    http.once("error", reject);
    http.listen(port, host, () => {
      const a = http.address();
      const address = a && typeof a === "object" ? `http://${a.address}:${a.port}` : String(a);
      resolve({
        address,
        close: () => new Promise<void>((done) => http.close(() => done())),
      });
    });
  });
}
