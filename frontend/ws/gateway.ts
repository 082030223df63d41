/**
 * The frontend's WebSockets: completing a handshake a handler accepted (its 101 head), the table
 * of open sockets by request id, handler replies addressed to them, handler loss (1011), stop
 * (1001) and the keepalive tick. Framing, masking, fragmentation and ping/pong are the `ws`
 * library's; one `WebSocketServer` (noServer) per group carries that group's limits.
 */
import { validateHeaderName, validateHeaderValue, type IncomingMessage } from "node:http";
import { createRequire } from "node:module";
import type { WebSocket, WebSocketServer } from "ws";
import type { HeaderPair, ReplyMsg, Target, WsReplyMsg } from "../../protocol/index.js";
import type { Exchange } from "../exchange.js";
import type { Responder } from "../http/respond.js";
import type { Counters } from "../metrics.js";
import { WsSession } from "./session.js";
import type { WsGroup } from "./types.js";

/** Handshake headers the frontend writes itself; a handler's copies are dropped. */
const OWNED = new Set([
  "upgrade",
  "connection",
  "sec-websocket-accept",
  "sec-websocket-extensions",
  "content-length",
  "transfer-encoding",
  "keep-alive",
]);

const CHOSEN = Symbol("ferry.ws.protocol");
const EXTRA = Symbol("ferry.ws.headers");
type TaggedRequest = IncomingMessage & { [CHOSEN]?: string; [EXTRA]?: string[] };

/**
 * `ws` is loaded on the first handshake a handler accepts, not at start: a frontend that never
 * opens a WebSocket keeps the library (some megabytes of heap and code) out of its resident
 * memory.
 */
let wsLibrary: typeof import("ws") | undefined;
function loadWs(): typeof import("ws") {
  return (wsLibrary ??= createRequire(import.meta.url)("ws") as typeof import("ws"));
}

export class WebSocketGateway {
  /** Open sockets by request id (unique for the frontend's life). */
  private readonly sessions = new Map<number, WsSession>();
  private readonly servers = new Map<string, WebSocketServer>();
  private stopping = false;

  constructor(
    private readonly fid: string,
    private readonly counters: Counters,
    private readonly responder: Responder,
    private readonly defaultQueueBytes: number,
    /** A defect caught at a handshake's edge: counted and reported by the frontend. */
    private readonly defect: (err: unknown, where: string) => void = () => {},
  ) {}

  /** Open WebSockets. */
  get size(): number {
    return this.sessions.size;
  }

  /** Open WebSockets of one group (a group a reload removed closes only when this is 0). */
  openFor(group: object): number {
    let n = 0;
    for (const s of this.sessions.values()) if (s.group === group) n++;
    return n;
  }

  private serverFor(group: WsGroup): WebSocketServer {
    let server = this.servers.get(group.name);
    if (server) return server;
    const c = group.config.websocket;
    server = new (loadWs().WebSocketServer)({
      noServer: true,
      clientTracking: false,
      maxPayload: c.maxMessageBytes,
      perMessageDeflate: c.perMessageDeflate,
      handleProtocols: (_offered, req) => (req as TaggedRequest)[CHOSEN] ?? false,
    });
    server.on("headers", (lines: string[], req: TaggedRequest) => {
      const extra = req[EXTRA];
      if (extra) lines.push(...extra);
    });
    this.servers.set(group.name, server);
    return server;
  }

  /**
   * The claimer answered an upgrade with 101: check its subprotocol and headers, then let `ws`
   * write the handshake on the bare socket. A bad head is a 502 like any bad reply. True when the
   * socket was handed to `ws` (the exchange is then the gateway's, no longer the group's).
   */
  accept(group: WsGroup, ex: Exchange, hid: string, headers: readonly HeaderPair[]): boolean {
    const upgrade = ex.upgrade!;
    let chosen: string | undefined;
    const extra: string[] = [];
    for (const [name, value] of headers) {
      const lower = name.toLowerCase();
      if (lower === "sec-websocket-protocol") {
        chosen = value.trim();
        continue;
      }
      if (OWNED.has(lower)) continue;
      try {
        validateHeaderName(name);
        validateHeaderValue(name, value);
      } catch (err) {
        this.badReply(ex, `invalid header in 101: ${(err as Error).message}`);
        return false;
      }
      extra.push(`${name}: ${value}`);
    }
    if (chosen !== undefined && !upgrade.protocols.includes(chosen)) {
      this.badReply(ex, `subprotocol "${chosen.slice(0, 100)}" was not offered`);
      return false;
    }
    const socket = upgrade.socket;
    if (!socket.readable || !socket.writable) {
      // The client left while the handler decided: its close tells the handler (disconnect).
      socket.destroy();
      return false;
    }
    // From here the socket speaks WebSocket, not HTTP: the exchange leaves the HTTP accounting.
    ex.res.detachSocket(socket as never);
    ex.status = 101;
    ex.headSent = true;
    ex.conn.deleteExchange(ex);
    const req = ex.req as TaggedRequest;
    req[CHOSEN] = chosen;
    req[EXTRA] = extra;
    try {
      this.serverFor(group).handleUpgrade(req, socket, upgrade.head, (ws) => {
        try {
          this.open(group, ex, hid, ws);
        } catch (err) {
          this.defect(err, "websocket open");
          ws.terminate();
        }
      });
    } catch (err) {
      // Never past this one socket: the client is cut, every other exchange goes on.
      this.defect(err, "websocket handshake");
      socket.destroy();
    }
    return true;
  }

  private badReply(ex: Exchange, message: string): void {
    this.counters.badReplies++;
    this.responder.fail(ex, "FERRY_BAD_REPLY", message);
  }

  private open(group: WsGroup, ex: Exchange, hid: string, ws: WebSocket): void {
    const now = performance.now();
    const queueBytes = group.config.websocket.connectionQueueBytes ?? this.defaultQueueBytes;
    const session = new WsSession(
      ws,
      ex,
      group,
      hid,
      this.fid,
      this.counters,
      queueBytes,
      now,
      (s) => this.sessions.delete(s.req),
    );
    this.sessions.set(ex.id, session);
    this.counters.wsOpened++;
    if (this.stopping) session.close(1001, "server stopping", now);
  }

  /** The open socket a target's [conn, req] names (on this group's connection), or undefined. */
  private find(group: WsGroup, target: Target): WsSession | undefined {
    const s = this.sessions.get(target[1]);
    return s !== undefined && s.conn === target[0] && s.group === group ? s : undefined;
  }

  /** Whether the target quotes the token of the socket's upgrade request (else: dropped, counted). */
  private tokenOk(s: WsSession, target: Target): boolean {
    if (s.ex.token === target[2]) return true;
    this.counters.badTokens++;
    return false;
  }

  /** Whether a target names an open WebSocket (then replies to it are the gateway's). */
  has(group: WsGroup, target: Target): boolean {
    return this.sessions.size > 0 && this.find(group, target) !== undefined;
  }

  /** A `ws` reply: one message to every open socket it names. */
  message(group: WsGroup, msg: WsReplyMsg): void {
    for (const target of msg.to) {
      const s = this.find(group, target);
      if (s === undefined) {
        this.counters.repliesDropped++;
        continue;
      }
      if (!this.tokenOk(s, target)) continue;
      if (s.claimer !== msg.hid) {
        this.counters.repliesFromLoser++;
        continue;
      }
      if (!s.send(msg.data, msg.binary)) this.counters.badReplies++;
    }
  }

  /** Another reply kind for an open socket: `close` closes, `error` closes 1011, the rest are bad. */
  reply(group: WsGroup, msg: ReplyMsg, target: Target): void {
    const s = this.find(group, target);
    if (s === undefined || !this.tokenOk(s, target)) return;
    if (s.claimer !== msg.hid) {
      this.counters.repliesFromLoser++;
      return;
    }
    switch (msg.kind) {
      case "close":
        s.close(msg.code ?? 1000, msg.reason ?? "");
        return;
      case "error":
        s.close(1011, "handler error");
        return;
      case "ws":
        if (!s.send(msg.data, msg.binary)) this.counters.badReplies++;
        return;
      default:
        // head/data/end have no meaning on an open WebSocket.
        this.counters.badReplies++;
    }
  }

  /** A handler is gone: its sockets close with 1011. */
  lose(hid: string): number {
    let n = 0;
    for (const s of this.sessions.values()) {
      if (s.claimer !== hid) continue;
      s.lose();
      n++;
    }
    return n;
  }

  tick(now: number): void {
    for (const s of this.sessions.values()) s.tick(now);
  }

  /** The frontend is stopping: every socket closes with 1001; new ones close at once. */
  stop(): void {
    this.stopping = true;
    const now = performance.now();
    for (const s of this.sessions.values()) s.close(1001, "server stopping", now);
  }
}
