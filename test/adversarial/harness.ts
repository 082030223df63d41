/**
 * One frontend process (built dist, `ferry frontend`) with every route kind, for the adversarial
 * suite: a handler group answered by a scripted handler in this process (liars included), a
 * static directory, a proxy route to an upstream in this process, an optional TLS listener.
 * Short limits keep the slow-client cases fast. Loopback only; every port is a free one.
 */
import { randomBytes } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { Socket } from "node:net";
import { join } from "node:path";
import { Publisher, Pull, Subscriber } from "zeromq";
import { decodeToHandler, type RequestMsg } from "../../protocol/index.js";
import { rawEnding, type RawEnding } from "../integration/frontend/raw.js";
import { freePort, freePorts } from "../support/ports.js";
import { startFerry, type Proc } from "../support/processes.js";
import { serialPublisher, type SerialPublisher } from "../support/serial-publisher.js";
import { tempDir } from "../support/tmp.js";
import { makeCertificate } from "../unit/tls/certificates.js";

export const HID = "adversarial-handler";
/** The scripted handler's secret: sent in its hellos and heartbeats only. */
const SECRET = randomBytes(32);

export interface Scripted {
  /** Answer one request; `reply` sends protocol messages to the frontend. */
  (r: RequestMsg, reply: SerialPublisher["send"]): void;
}

export interface Suite {
  proc: Proc;
  port: number;
  tlsPort: number | undefined;
  controlPort: number;
  staticDir: string;
  /** Every request the handler received, by target (what reached a handler). */
  handled: string[];
  /** Every request the upstream received: target and host. */
  upstreamSeen: Array<{ url: string; host: string | undefined }>;
  /** Upstream requests whose client side went away before the upstream answered. */
  upstreamAborted: () => number;
  /** Upstream requests open right now. */
  upstreamOpen: () => number;
  /** Requests the upstream holds without answering until `releaseUpstream()`. */
  releaseUpstream: () => void;
  stop: () => Promise<void>;
}

export interface SuiteOptions {
  limits?: Record<string, unknown>;
  tls?: boolean;
  proxy?: Record<string, unknown>;
  group?: Record<string, unknown>;
  grace?: number;
}

/** A handler group's scripted answers, by the first path segment after /h/. */
const SCRIPTS: Record<string, Scripted> = {
  echo: (r, send) =>
    send(r.fid, {
      kind: "head",
      hid: HID,
      to: [[r.conn, r.req, r.token]],
      status: 200,
      headers: [["content-type", "application/json"]],
      body: Buffer.from(
        JSON.stringify({
          target: r.target,
          path: r.path,
          query: r.query,
          host: r.host,
          headers: r.headers.length,
          body: r.body?.length ?? 0,
        }),
      ),
      end: true,
    }),
  never: (r, send) =>
    send(r.fid, { kind: "claim", hid: HID, conn: r.conn, req: r.req, token: r.token }),
};

export function script(name: string, fn: Scripted): void {
  SCRIPTS[name] = fn;
}

export async function startSuite(options: SuiteOptions = {}): Promise<Suite> {
  const dir = tempDir("ferry-adv-");
  const staticDir = join(dir.path, "www");
  mkdirSync(staticDir);
  writeFileSync(join(staticDir, "index.html"), "static index\n");
  writeFileSync(join(staticDir, "small.txt"), "small file\n");
  // Big enough that a response to a client that does not read stays open.
  writeFileSync(join(staticDir, "big.bin"), Buffer.alloc(8 * 1024 * 1024, 120));

  // The upstream of the proxy route.
  const upstreamSeen: Suite["upstreamSeen"] = [];
  let aborted = 0;
  let open = 0;
  const held: ServerResponse[] = [];
  const upstream: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    upstreamSeen.push({ url: req.url ?? "", host: req.headers.host });
    open++;
    let answered = false;
    res.on("close", () => {
      open--;
      if (!answered) aborted++;
    });
    const answer = (status: number, body: string) => {
      answered = true;
      res.writeHead(status, { "content-type": "text/plain", "content-length": body.length });
      res.end(body);
    };
    let bytes = 0;
    req.on("data", (c: Buffer) => (bytes += c.length));
    req.on("end", () => {
      if (req.url?.startsWith("/hold")) {
        held.push(res);
        (res as ServerResponse & { answer?: () => void }).answer = () => answer(200, "released");
        return;
      }
      answer(200, `upstream ${req.url} ${bytes}`);
    });
    req.on("error", () => {});
  });
  upstream.keepAliveTimeout = 1000;
  await new Promise<void>((r) => upstream.listen(0, "127.0.0.1", r));
  const upstreamPort = (upstream.address() as { port: number }).port;

  const [port, controlPort, reqPort, repPort, evtPort] = (await freePorts(5)) as [
    number,
    number,
    number,
    number,
    number,
  ];
  const tlsPort = options.tls ? await freePort() : undefined;
  const endpoints = {
    requests: `tcp://127.0.0.1:${reqPort}`,
    replies: `tcp://127.0.0.1:${repPort}`,
    events: `tcp://127.0.0.1:${evtPort}`,
  };
  const listeners: unknown[] = [{ host: "127.0.0.1", port }];
  if (tlsPort !== undefined) {
    const cert = makeCertificate(dir.path, "localhost");
    listeners.push({ host: "127.0.0.1", port: tlsPort, tls: { key: cert.key, cert: cert.cert } });
  }
  const config = {
    listeners,
    hosts: [
      {
        names: ["*"],
        routes: [
          { path: "/h", target: { kind: "handler", group: "default" } },
          { path: "/static", target: { kind: "static", dir: staticDir } },
          {
            path: "/proxy",
            target: {
              kind: "proxy",
              upstream: `http://127.0.0.1:${upstreamPort}`,
              stripPrefix: "/proxy",
              connections: 4,
              ...options.proxy,
            },
          },
        ],
      },
      {
        names: ["other.test"],
        routes: [{ path: "/", target: { kind: "static", dir: staticDir } }],
      },
    ],
    groups: { default: { ...endpoints, timeout: 10_000, ...options.group } },
    limits: {
      headerTimeout: 1000,
      bodyIdleMs: 400,
      handshakeTimeout: 400,
      pipelineDepth: 8,
      bodyBytes: 1024 * 1024,
      ...options.limits,
    },
    control: { port: controlPort },
    shutdown: { grace: options.grace ?? 2000 },
  };
  const file = join(dir.path, "ferry.json");
  writeFileSync(file, JSON.stringify(config));
  const proc = startFerry(["frontend", "--config", file], { env: { FERRY_LOG_LEVEL: "warn" } });

  // The scripted handler: protocol v2 over real ZeroMQ sockets.
  const handled: string[] = [];
  const pull = new Pull({ linger: 0 });
  const pub = new Publisher({ linger: 0 });
  const sub = new Subscriber({ linger: 0 });
  pull.connect(endpoints.requests);
  pub.connect(endpoints.replies);
  sub.connect(endpoints.events);
  sub.subscribe(HID);
  const { send } = serialPublisher(pub);
  const hello = (kind: "hello" | "heartbeat") =>
    send("*", {
      kind,
      hid: HID,
      secret: SECRET,
      capacity: 4096,
      inflight: 0,
      interval: 500,
      agent: "adv",
    });
  hello("hello");
  const beat = setInterval(() => hello("heartbeat"), 500);
  void (async () => {
    // A PULL message is a batch: every frame is one request.
    for await (const frames of pull)
      for (const payload of frames) {
        const r = decodeToHandler(payload);
        if (r.kind !== "request") continue;
        handled.push(r.target);
        const name = r.path.split("/")[2] ?? "echo";
        (SCRIPTS[name] ?? SCRIPTS.echo!)(r, send);
      }
  })().catch(() => {});
  void (async () => {
    for await (const _ of sub) void _;
  })().catch(() => {});

  // Live once a request to the handler route is answered by it.
  const deadline = Date.now() + 20_000;
  for (;;) {
    const r = await rawRequest(
      port,
      "GET /h/echo HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    ).catch(() => undefined);
    if (r?.data.startsWith("HTTP/1.1 200")) break;
    if (Date.now() > deadline || proc.child.exitCode !== null)
      throw new Error(`frontend not serving: ${r?.data}\n${proc.output()}`);
    await new Promise((res) => setTimeout(res, 50));
  }

  return {
    proc,
    port,
    tlsPort,
    controlPort,
    staticDir,
    handled,
    upstreamSeen,
    upstreamAborted: () => aborted,
    upstreamOpen: () => open,
    releaseUpstream: () => {
      for (const res of held.splice(0))
        (res as ServerResponse & { answer?: () => void }).answer?.();
    },
    stop: async () => {
      clearInterval(beat);
      await proc.stop();
      for (const res of held.splice(0)) res.destroy();
      upstream.closeAllConnections();
      await new Promise((r) => upstream.close(r));
      pull.close();
      pub.close();
      sub.close();
      dir.cleanup();
    },
  };
}

export type { RawEnding as RawResult } from "../integration/frontend/raw.js";

/** Raw bytes in, everything until the server closes or 1.5 s of silence out (see rawEnding). */
export function rawRequest(
  port: number,
  payload: string | Buffer,
  options: { idleMs?: number; socket?: (s: Socket) => void } = {},
): Promise<RawEnding> {
  return rawEnding(port, payload, { ...options, idleMs: options.idleMs ?? 1500 });
}

/** Parse consecutive HTTP/1.1 responses (Content-Length or chunked bodies). */
export function responses(data: string): Array<{ status: number; head: string; body: string }> {
  const out: Array<{ status: number; head: string; body: string }> = [];
  let rest = data;
  while (rest.length > 0) {
    const end = rest.indexOf("\r\n\r\n");
    if (end === -1) break;
    const head = rest.slice(0, end);
    const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(head)?.[1] ?? 0);
    rest = rest.slice(end + 4);
    if (/\r\ntransfer-encoding: *chunked/i.test(head)) {
      let body = "";
      for (;;) {
        const line = rest.indexOf("\r\n");
        if (line === -1) return [...out, { status, head, body }];
        const size = parseInt(rest.slice(0, line), 16);
        rest = rest.slice(line + 2);
        if (size === 0) {
          rest = rest.slice(2);
          break;
        }
        body += rest.slice(0, size);
        rest = rest.slice(size + 2);
      }
      out.push({ status, head, body });
      continue;
    }
    const length = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? 0);
    out.push({ status, head, body: rest.slice(0, length) });
    rest = rest.slice(length);
  }
  return out;
}

/** A marker request on a fresh connection: the frontend still serves, and serves it right. */
export async function stillServing(port: number): Promise<void> {
  const r = await rawRequest(
    port,
    "GET /static/small.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
  );
  const [first] = responses(r.data);
  if (first?.status !== 200 || first.body !== "small file\n")
    throw new Error(`frontend no longer serving: ${JSON.stringify(r.data.slice(0, 300))}`);
}

/** Open file descriptors and resident set (KiB) of a process, from /proc. */
export function resources(pid: number): { fds: number; rssKiB: number } {
  const fds = readdirSync(`/proc/${pid}/fd`).length;
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const rssKiB = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return { fds, rssKiB };
}

/** A counter from the control listener's /metrics. */
export async function metric(controlPort: number, name: string): Promise<number> {
  const r = await rawRequest(
    controlPort,
    "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
  );
  const m = new RegExp(`^${name}(?:\\{[^}]*\\})? (\\d+(?:\\.\\d+)?)$`, "m").exec(r.data);
  return m ? Number(m[1]) : 0;
}

/** Poll until `check` returns true or `ms` pass. */
export async function eventually(
  check: () => boolean | Promise<boolean>,
  ms = 5000,
): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 25));
  }
  return check();
}
