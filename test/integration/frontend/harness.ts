/**
 * Real processes for the frontend's integration tests: `ferry frontend` from bin/ (built dist),
 * and test/support/test-handler.ts (tsx), over tcp or ipc endpoints.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { request as httpRequest, type Agent, type IncomingHttpHeaders } from "node:http";
import { freePort, freePorts } from "../../support/ports.js";
import { start, startFerry, type Proc } from "../../support/processes.js";
import { ipcEndpoints } from "../../support/tmp.js";

export type ZmqTransport = "tcp" | "ipc";
export const TRANSPORTS: ZmqTransport[] = ["tcp", "ipc"];

export interface Endpoints {
  requests: string;
  replies: string;
  events: string;
}

export async function endpointsFor(transport: ZmqTransport, dir: string): Promise<Endpoints> {
  if (transport === "ipc") return ipcEndpoints(dir);
  const [a, b, c] = await freePorts(3);
  return {
    requests: `tcp://127.0.0.1:${a}`,
    replies: `tcp://127.0.0.1:${b}`,
    events: `tcp://127.0.0.1:${c}`,
  };
}

export interface GroupOverrides {
  timeout?: number;
  heartbeat?: { interval?: number; misses?: number };
  inlineBodyLimit?: number;
  queue?: { length?: number; wait?: number };
  sendHighWaterMark?: number;
}

export interface FrontendUnderTest {
  proc: Proc;
  port: number;
  url: string;
  endpoints: Endpoints;
}

export async function startFrontend(
  dir: string,
  endpoints: Endpoints,
  group: GroupOverrides = {},
  extra: Record<string, unknown> = {},
): Promise<FrontendUnderTest> {
  const port = await freePort();
  const config = {
    listeners: [{ host: "127.0.0.1", port }],
    hosts: [
      { names: ["*"], routes: [{ path: "/", target: { kind: "handler", group: "default" } }] },
    ],
    groups: { default: { ...endpoints, ...group } },
    shutdown: { grace: 5000 },
    ...extra,
  };
  const file = join(dir, `frontend-${port}.json`);
  writeFileSync(file, JSON.stringify(config));
  const proc = startFerry(["frontend", "--config", file], { env: { FERRY_LOG_LEVEL: "info" } });
  await proc.waitFor(/"msg":"listening"/, 30_000);
  return { proc, port, url: `http://127.0.0.1:${port}`, endpoints };
}

export function startHandler(
  endpoints: Endpoints,
  options: {
    hid?: string;
    interval?: number;
    log?: boolean;
    /** Requests per PUSH message it declares (protocol v2 `batch`). */
    batch?: number;
    /** ms before it starts reading requests (work piles up meanwhile). */
    readAfter?: number;
  } = {},
): Proc {
  const args = ["--import", "tsx", "test/support/test-handler.ts"];
  args.push(
    "--requests",
    endpoints.requests,
    "--replies",
    endpoints.replies,
    "--events",
    endpoints.events,
  );
  if (options.hid) args.push("--hid", options.hid);
  // A second between heartbeats (a 3 s window): on a loaded machine a handler can stall for
  // longer than a short window, and a spurious "handler lost" fails tests not about handler
  // loss. Tests of handler loss pass a short interval.
  args.push("--interval", String(options.interval ?? 1000));
  if (options.log) args.push("--log-requests");
  if (options.batch !== undefined) args.push("--batch", String(options.batch));
  if (options.readAfter !== undefined) args.push("--read-after", String(options.readAfter));
  return start(process.execPath, args);
}

export interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

export function get(
  url: string,
  options: {
    method?: string;
    body?: string | Buffer;
    agent?: Agent | false;
    headers?: Record<string, string>;
  } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      url,
      { method: options.method ?? "GET", agent: options.agent ?? false, headers: options.headers },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString("utf8"),
          }),
        );
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end(options.body);
  });
}

/** Poll until a handler answers (it is live once the frontend has its hello). */
export async function waitLive(
  url: string,
  predicate: (r: Reply) => boolean = (r) => r.status === 200,
  timeoutMs = 15_000,
): Promise<Reply> {
  const deadline = Date.now() + timeoutMs;
  let last: Reply | undefined;
  while (Date.now() < deadline) {
    last = await get(`${url}/echo/ping`);
    if (predicate(last)) return last;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`no live handler at ${url}: last ${last?.status} ${last?.body}`);
}

/** Wait until `pattern` (global) matches at least `n` times in a process's output. */
export async function waitForCount(
  proc: Proc,
  pattern: RegExp,
  n: number,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while ((proc.output().match(pattern)?.length ?? 0) < n) {
    if (Date.now() > deadline)
      throw new Error(`only ${proc.output().match(pattern)?.length ?? 0} of ${n} ${pattern}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
