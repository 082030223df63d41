/**
 * The frontend: listeners (node:http), the connection table, handler groups, housekeeping and
 * graceful stop. A library: it emits events and never logs; main.ts attaches the logger.
 *
 * Events: `listening` {address}, `access` AccessRecord, `client-error` {conn, code, error},
 * `handler-up`, `handler-lost`, `protocol-error` (see groups/types.ts), `error` (non-fatal).
 */
import { EventEmitter } from "node:events";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { Socket } from "node:net";
import type { Duplex } from "node:stream";
import { randomBytes } from "node:crypto";
import { Limits } from "../protocol/index.js";
import type { Config, GroupConfig, ListenerConfig } from "./config/schema.js";
import { ConnectionTable } from "./connections.js";
import { FerryError } from "./errors.js";
import type { Exchange, ExchangeObserver } from "./exchange.js";
import { createGroup, type HandlerGroup } from "./groups/index.js";
import { answerClientError, clientErrorCode } from "./http/client-error.js";
import { Intake } from "./http/intake.js";
import { Responder } from "./http/respond.js";
import { Counters } from "./metrics.js";
import { Router } from "./routes.js";
import type { Transport } from "./transport/types.js";
import { closeProxy, loadProxy } from "./http/local-targets.js";
import { TlsConfigError, TlsCredentials } from "./tls/index.js";
import { WebSocketGateway } from "./ws/gateway.js";
import { UpgradeIntake } from "./ws/upgrade.js";
import { TrafficStats } from "./status/traffic.js";
import { listenerKey } from "./reload/plan.js";

/** Handshake timers of TLS connections, by their TCP socket. */
const secureTimers = new WeakMap<Socket, NodeJS.Timeout>();

export interface AccessRecord {
  method: string;
  path: string;
  status: number;
  bytes: number;
  ms: number;
  conn: number;
  req: number;
  hid: string | undefined;
  error: string | undefined;
  aborted: boolean;
}

/** One bound listener: its config key (`host:port`), server, certificates and address. */
export interface Listener {
  readonly key: string;
  readonly server: Server;
  readonly tls: TlsCredentials | undefined;
  readonly address: string;
}

export interface FrontendOptions {
  transport: Transport;
  /** Override the frontend id (tests); default `<name>-<16 hex>`. */
  fid?: string;
}

export class Frontend extends EventEmitter implements ExchangeObserver {
  readonly fid: string;
  readonly counters = new Counters();
  readonly connections = new ConnectionTable();
  /** The groups routes lead to now. A reload replaces entries; see frontend/reload. */
  readonly groups = new Map<string, HandlerGroup>();
  /** Removed or replaced groups that still hold exchanges: ticked until drained, then closed. */
  readonly retiring = new Set<HandlerGroup>();
  readonly servers: Server[] = [];
  /** Listeners accepting now, in the order they were bound (a reload adds and removes some). */
  readonly bound: Listener[] = [];
  readonly addresses: string[] = [];
  /** Responses per second, per group, for the status API. */
  readonly traffic = new TrafficStats();
  readonly startedAt = Date.now();
  private readonly responder: Responder;
  private readonly intake: Intake;
  private readonly upgrades: UpgradeIntake;
  /** Open WebSockets. */
  readonly websockets: WebSocketGateway;
  private requestSeq = 0;
  private ticker: NodeJS.Timeout | undefined;
  private tickMs = 0;
  private stopping: Promise<void> | undefined;
  /** The config in force and its router, swapped together by a reload (one reference). */
  private routing: { readonly config: Config; readonly router: Router };

  constructor(
    config: Config,
    private readonly options: FrontendOptions,
  ) {
    super();
    this.fid = options.fid ?? `${config.name}-${randomBytes(8).toString("hex")}`;
    this.routing = { config, router: new Router(config.hosts) };
    this.responder = new Responder(this.counters, config.limits.connectionQueueBytes);
    const current = (): Frontend["routing"] => this.routing;
    const intakeContext = {
      // Read at each request, so a reload's new routes and limits apply from the next one.
      get router() {
        return current().router;
      },
      get maxBodyBytes() {
        return current().config.limits.bodyBytes;
      },
      groups: this.groups,
      connections: this.connections,
      responder: this.responder,
      counters: this.counters,
      observer: this,
      get limits() {
        return current().config.limits;
      },
      nextRequestId: () => ++this.requestSeq,
      internalError: (err: unknown, where: string) => this.internalError(err, where),
    };
    this.intake = new Intake(intakeContext);
    this.upgrades = new UpgradeIntake(intakeContext, this.intake);
    this.websockets = new WebSocketGateway(
      this.fid,
      this.counters,
      this.responder,
      config.limits.connectionQueueBytes,
      (err, where) => this.internalError(err, where),
    );
  }

  /** The config in force (the last one a reload applied). */
  get config(): Config {
    return this.routing.config;
  }

  /** Put a new config and its router in force at once (frontend/reload/apply.ts). */
  swapRouting(config: Config, router: Router): void {
    this.routing = { config, router };
    this.retick();
  }

  async start(): Promise<void> {
    // TLS files are checked before anything binds, so a bad certificate fails fast.
    const tlsOf: (TlsCredentials | undefined)[] = [];
    for (const [i, listener] of this.config.listeners.entries()) {
      if (!listener.tls) {
        tlsOf.push(undefined);
        continue;
      }
      try {
        tlsOf.push(await TlsCredentials.load(listener.tls, `listeners[${i}].tls`));
      } catch (err) {
        if (err instanceof TlsConfigError)
          throw new FerryError(err.code, err.message, { cause: err });
        throw err;
      }
    }
    const proxied = this.config.hosts.some((h) => h.routes.some((r) => r.target.kind === "proxy"));
    if (proxied) await loadProxy();
    for (const group of Object.values(this.config.groups)) {
      try {
        this.groups.set(group.name, await this.openGroup(group));
      } catch (err) {
        await this.closeGroups();
        throw err;
      }
    }
    this.retick();
    try {
      for (const [i, listener] of this.config.listeners.entries()) {
        this.bound.push(await this.listen(listener, tlsOf[i]));
      }
    } catch (err) {
      await this.stop(0);
      throw new FerryError("FERRY_LISTEN_FAILED", (err as Error).message, { cause: err });
    }
  }

  /** Reread every listener's certificates; a bad file keeps the running ones. */
  async reloadTls(): Promise<void> {
    await Promise.all(this.bound.map((l) => l.tls?.reload()));
  }

  /** A group of `config`, its sockets bound (not yet in `groups`: the caller puts it there). */
  async openGroup(config: GroupConfig): Promise<HandlerGroup> {
    const group = createGroup(config, {
      fid: this.fid,
      transport: this.options.transport,
      connections: this.connections,
      responder: this.responder,
      counters: this.counters,
      websockets: this.websockets,
      events: this as EventEmitter,
    });
    try {
      await group.open();
    } catch (err) {
      await group.close().catch(() => undefined);
      throw new FerryError(
        "FERRY_LISTEN_FAILED",
        `group "${config.name}": ${(err as Error).message}`,
        { cause: err },
      );
    }
    return group;
  }

  /** Housekeeping often enough for the shortest timeout of any group in force. */
  private retick(): void {
    const groupConfigs = Object.values(this.config.groups);
    const shortest = Math.min(
      60_000,
      ...groupConfigs.map((g) =>
        Math.min(g.timeout, g.heartbeat.interval * g.heartbeat.misses, g.queue.wait),
      ),
    );
    const tickMs = Math.max(5, Math.min(250, Math.floor(shortest / 8)));
    if (this.ticker !== undefined && tickMs === this.tickMs) return;
    if (this.ticker !== undefined) clearInterval(this.ticker);
    this.tickMs = tickMs;
    this.ticker = setInterval(() => this.tick(), tickMs);
  }

  /** Bind one listener (start, or a reload that adds it). */
  listen(listener: ListenerConfig, tls?: TlsCredentials): Promise<Listener> {
    const { host, port } = listener;
    const limits = this.config.limits;
    const httpOptions = {
      maxHeaderSize: limits.headerBytes,
      headersTimeout: limits.headerTimeout,
      requestTimeout: Math.max(300_000, limits.headerTimeout),
      keepAliveTimeout: limits.keepAliveTimeout,
      // Node checks header/request timeouts on this period (default 30 s): keep it finer.
      connectionsCheckingInterval: Math.max(
        50,
        Math.min(1000, Math.floor(limits.headerTimeout / 4)),
      ),
      noDelay: true,
    };
    let server: Server;
    if (tls) {
      const https = createHttpsServer({ ...tls.serverOptions(), ...httpOptions });
      tls.attach(https);
      server = https;
    } else {
      server = createServer(httpOptions);
    }
    server.maxConnections = limits.maxConnections;
    // One past the protocol's limit: node:http drops fields beyond this count silently, and a
    // request with more than the protocol carries must be refused (431), not cut down.
    server.maxHeadersCount = Limits.maxHeaders + 1;
    if (tls) this.limitHandshakes(server, limits.handshakeTimeout);
    server.on("drop", () => this.counters.connectionsRefused++);
    // Over TLS, requests arrive on the TLS socket, not the TCP one `connection` reports.
    server.on(tls ? "secureConnection" : "connection", (socket: Socket) =>
      this.onConnection(socket),
    );
    server.on("request", (req: IncomingMessage, res: ServerResponse) =>
      this.intake.handle(req, res, false),
    );
    server.on("checkContinue", (req: IncomingMessage, res: ServerResponse) =>
      this.intake.handle(req, res, true),
    );
    server.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) =>
      this.upgrades.handle(req, socket, head),
    );
    server.on("clientError", (err: NodeJS.ErrnoException, socket: Socket) =>
      this.onClientError(err, socket),
    );
    return new Promise((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, host, () => {
        server.off("error", reject);
        const a = server.address();
        const address =
          a && typeof a === "object"
            ? `${tls ? "https" : "http"}://${a.family === "IPv6" ? `[${a.address}]` : a.address}:${a.port}`
            : String(a);
        this.servers.push(server);
        this.addresses.push(address);
        this.emit("listening", { address });
        resolve({ key: listenerKey(listener), server, tls, address });
      });
    });
  }

  /** Stop accepting on a listener (a reload removed it); its open connections finish. */
  unlisten(listener: Listener): void {
    const at = this.bound.indexOf(listener);
    if (at !== -1) this.bound.splice(at, 1);
    const i = this.servers.indexOf(listener.server);
    if (i !== -1) {
      this.servers.splice(i, 1);
      this.addresses.splice(i, 1);
    }
  }

  /**
   * A TLS client has `ms` from its TCP connection to a finished handshake (node's own timer does
   * not start before the ClientHello, and node:http's header timeout only after the handshake).
   */
  private limitHandshakes(server: Server, ms: number): void {
    server.on("connection", (raw: Socket) => {
      const timer = setTimeout(() => {
        this.counters.tlsHandshakeTimeouts++;
        raw.destroy();
      }, ms);
      timer.unref();
      raw.once("close", () => clearTimeout(timer));
      secureTimers.set(raw, timer);
    });
    server.on("secureConnection", (socket: Socket) => {
      const raw = (socket as Socket & { _parent?: Socket })._parent;
      const timer = raw === undefined ? undefined : secureTimers.get(raw);
      if (timer !== undefined) clearTimeout(timer);
    });
  }

  private onConnection(socket: Socket): void {
    this.counters.connectionsOpened++;
    this.connections.open(socket);
    // One listener shared by every socket (`this` is the socket), and `on` rather than `once`
    // (a socket closes once; `once` wraps each listener): per-connection closures are memory that
    // 10,000 idle clients multiply.
    socket.on("close", this.onSocketClose);
  }

  /** The `close` listener every socket shares: made once, called with `this` = the socket. */
  private readonly onSocketClose = ((frontend: Frontend) =>
    function (this: Socket) {
      frontend.socketClosed(this);
    })(this);

  /** A socket closed: its connection leaves the table and its open exchanges are aborted. */
  private socketClosed(socket: Socket): void {
    const conn = this.connections.of(socket);
    if (conn === undefined) return;
    this.connections.close(conn);
    // Every exchange still open on the connection, pipelined or not: node:http tells only the
    // response at the head of its queue that the client left.
    for (const ex of conn.exchanges) {
      if (ex.done) continue;
      ex.aborted = true;
      try {
        ex.local?.abort();
        ex.group?.abandon(ex);
      } catch (err) {
        this.internalError(err, "client left");
      }
      ex.done = true;
      this.exchangeDone(ex);
    }
  }

  private onClientError(err: NodeJS.ErrnoException, socket: Socket): void {
    const code = clientErrorCode(err);
    const conn = this.connections.of(socket);
    if (code === undefined) {
      socket.destroy();
      return;
    }
    this.counters.malformedRequests++;
    if (this.listenerCount("client-error") > 0) {
      this.emit("client-error", { conn: conn?.id, code, error: err.code ?? err.message });
    }
    answerClientError(socket, code, conn !== undefined && conn.exchanges.size > 0);
  }

  /**
   * A defect caught at the edge of one exchange (or by main.ts's last resort): counted
   * (ferry_internal_errors_total) and reported as `internal-error` {err, where}, which the
   * process logs with its stack.
   */
  internalError(err: unknown, where: string): void {
    this.counters.internalErrors++;
    if (this.listenerCount("internal-error") > 0) this.emit("internal-error", { err, where });
  }

  exchangeDone(ex: Exchange): void {
    ex.conn.deleteExchange(ex);
    this.counters.responses++;
    this.traffic.record(ex);
    if (this.listenerCount("access") > 0) {
      const record: AccessRecord = {
        method: ex.method,
        path: ex.target,
        status: ex.status,
        bytes: ex.bytes,
        ms: Math.round((performance.now() - ex.started) * 100) / 100,
        conn: ex.conn.id,
        req: ex.id,
        hid: ex.claimer,
        error: ex.error,
        aborted: ex.aborted,
      };
      this.emit("access", record);
    }
  }

  private tick(): void {
    const now = performance.now();
    for (const group of this.groups.values()) group.tick(now);
    for (const group of this.retiring) group.tick(now);
    this.websockets.tick(now);
  }

  /** Exchanges not done yet, across groups and connections. */
  get inflight(): number {
    let n = 0;
    for (const conn of this.connections.values()) n += conn.exchanges.size;
    return n;
  }

  /**
   * Stop accepting, let in-flight exchanges finish (every response now closes its connection),
   * then close. After `graceMs`, whatever is left is cut off.
   */
  stop(graceMs: number): Promise<void> {
    this.stopping ??= this.drain(graceMs);
    return this.stopping;
  }

  private async drain(graceMs: number): Promise<void> {
    this.responder.stopping = true;
    for (const server of this.servers) {
      server.close();
      server.closeIdleConnections();
    }
    this.websockets.stop();
    const deadline = performance.now() + graceMs;
    while ((this.inflight > 0 || this.websockets.size > 0) && performance.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 10));
      for (const server of this.servers) server.closeIdleConnections();
    }
    for (const conn of [...this.connections.values()]) conn.socket.destroy();
    if (this.ticker) clearInterval(this.ticker);
    await this.closeGroups();
    // Whatever an upstream still holds after the grace period is destroyed: a stop always ends.
    await closeProxy(Math.max(0, deadline - performance.now()));
  }

  private async closeGroups(): Promise<void> {
    const all = [...this.groups.values(), ...this.retiring];
    this.retiring.clear();
    await Promise.all(all.map((g) => g.close()));
  }
}
