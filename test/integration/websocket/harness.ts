/**
 * WebSocket clients (the `ws` package) and the processes behind them for the WebSocket
 * integration tests: `ferry frontend` with a config written here, and a handler (the raw
 * ws-test-handler, or an SDK app through `ferry handler`).
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import WebSocket, { type ClientOptions, type RawData } from "ws";
import { freePort } from "../../support/ports.js";
import { start, startFerry, type Proc } from "../../support/processes.js";
import { waitFor } from "../handler/ferry.js";
import type { Endpoints } from "../frontend/harness.js";

export { waitFor };

export interface WsFrontend {
  proc: Proc;
  port: number;
  url: string;
  ws: string;
}

export async function startWsFrontend(
  dir: string,
  endpoints: Endpoints,
  group: Record<string, unknown> = {},
  extra: {
    routes?: unknown[];
    groups?: Record<string, unknown>;
    control?: boolean;
    tls?: { key: string; cert: string };
  } = {},
): Promise<WsFrontend> {
  const port = await freePort();
  const control = extra.control ? await freePort() : undefined;
  const config = {
    listeners: [{ host: "127.0.0.1", port, ...(extra.tls && { tls: extra.tls }) }],
    hosts: [
      {
        names: ["*"],
        routes: [
          ...(extra.routes ?? []),
          { path: "/", target: { kind: "handler", group: "default" } },
        ],
      },
    ],
    groups: {
      default: { ...endpoints, heartbeat: { interval: 200, misses: 3 }, ...group },
      ...extra.groups,
    },
    shutdown: { grace: 5000 },
    ...(control !== undefined && { control: { port: control } }),
  };
  const file = join(dir, `frontend-${port}.json`);
  writeFileSync(file, JSON.stringify(config));
  const proc = startFerry(["frontend", "--config", file], { env: { FERRY_LOG_LEVEL: "info" } });
  await proc.waitFor(/"msg":"listening"/, 30_000);
  const s = extra.tls ? "s" : "";
  return { proc, port, url: `http${s}://127.0.0.1:${port}`, ws: `ws${s}://127.0.0.1:${port}` };
}

/** `interval`: between heartbeats; long by default, as in the frontend harness's startHandler. */
export function startRawHandler(endpoints: Endpoints, interval = 1000): Proc {
  return start(process.execPath, [
    "--import",
    "tsx",
    "test/support/ws-test-handler.ts",
    "--requests",
    endpoints.requests,
    "--replies",
    endpoints.replies,
    "--events",
    endpoints.events,
    "--interval",
    String(interval),
  ]);
}

/** Until GET `url` is answered by a handler (not 503 / nothing listening). */
export async function waitServed(url: string, timeoutMs = 15_000): Promise<void> {
  await waitFor(async () => {
    const status = await fetch(url).then(
      (r) => r.status,
      () => 0,
    );
    return status !== 0 && status !== 503;
  }, timeoutMs);
}

/** A client whose messages and close are recorded as they arrive. */
export class Client {
  readonly messages: Array<{ data: Buffer; binary: boolean }> = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  private waiters: Array<() => void> = [];

  constructor(
    readonly ws: WebSocket,
    readonly upgradeHeaders: Record<string, string | string[] | undefined>,
  ) {
    ws.on("message", (data: RawData, binary: boolean) => {
      this.messages.push({ data: toBuffer(data), binary });
      for (const w of this.waiters.splice(0)) w();
    });
    ws.on("error", () => {});
    this.closed = new Promise((resolve) =>
      ws.on("close", (code, reason) => {
        resolve({ code, reason: reason.toString("utf8") });
        for (const w of this.waiters.splice(0)) w();
      }),
    );
  }

  /** The n-th message (0-based), waiting for it. */
  async message(
    n = this.messages.length,
    timeoutMs = 10_000,
  ): Promise<{ data: Buffer; binary: boolean }> {
    const deadline = Date.now() + timeoutMs;
    while (this.messages.length <= n) {
      if (Date.now() > deadline || this.ws.readyState === WebSocket.CLOSED)
        throw new Error(`no message ${n}: ${this.messages.length} so far`);
      await new Promise<void>((r) => {
        this.waiters.push(r);
        setTimeout(r, 100);
      });
    }
    return this.messages[n]!;
  }

  async text(n?: number): Promise<string> {
    return (await this.message(n)).data.toString("utf8");
  }
}

function toBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}

/** Open a WebSocket; rejects with the HTTP status (and body) of a refused handshake. */
export function connect(
  url: string,
  protocols: string[] = [],
  options: ClientOptions = {},
): Promise<Client> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, protocols, options);
    let headers: Record<string, string | string[] | undefined> = {};
    ws.once("upgrade", (res) => (headers = res.headers));
    ws.once("open", () => resolve(new Client(ws, headers)));
    ws.once("unexpected-response", (_req, res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (d: string) => (body += d));
      res.on("end", () =>
        reject(new Refused(res.statusCode ?? 0, String(res.headers["x-ferry-error"] ?? ""), body)),
      );
    });
    ws.once("error", reject);
  });
}

export class Refused extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly body: string,
  ) {
    super(`refused: ${status} ${code} ${body}`);
  }
}

/** The Refused a failed connect() rejects with. */
export async function refusal(p: Promise<Client>): Promise<Refused> {
  try {
    const c = await p;
    c.ws.terminate();
  } catch (err) {
    if (err instanceof Refused) return err;
    throw err;
  }
  throw new Error("the handshake was accepted");
}
