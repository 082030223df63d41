/**
 * node:http `upgrade` events. The request gets a real ServerResponse on its socket, so every
 * answer before a 101 (404, 400, 501, 503, 504, 502, a handler's refusal) is written by the same
 * Responder as any response, then the connection closes. A WebSocket handshake to a ferry group
 * goes to a handler as a `request` with `upgrade: "websocket"`; its 101 is the gateway's.
 * Other Upgrade protocols (h2c...) are served as plain HTTP/1.1, as RFC 9110 allows.
 */
import { ServerResponse, type IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import type { Socket } from "node:net";
import {
  failInternal,
  failNoHandler,
  openExchange,
  startExchange,
} from "../http/exchange-start.js";
import type { Intake, IntakeContext } from "../http/intake.js";
import { checkHandshake, wantsWebSocket } from "./handshake.js";

export class UpgradeIntake {
  constructor(
    private readonly ctx: IntakeContext,
    private readonly intake: Intake,
  ) {}

  /** node:http `upgrade` events. Never throws: a defect fails this one exchange (500). */
  handle(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    let res: ServerResponse | undefined;
    try {
      res = this.open(req, socket);
      if (res !== undefined) this.admit(req, res, socket, head);
    } catch (err) {
      if (res === undefined) {
        this.ctx.internalError(err, "upgrade");
        socket.destroy();
      } else failInternal(this.ctx, req, res, err, "upgrade");
    }
  }

  private open(req: IncomingMessage, socket: Duplex): ServerResponse | undefined {
    const conn = this.ctx.connections.of(socket as Socket);
    if (conn === undefined || conn.closed) {
      socket.destroy();
      return undefined;
    }
    const res = new ServerResponse(req);
    res.shouldKeepAlive = false;
    res.assignSocket(socket as Socket);
    // Nothing more is parsed on this connection: once answered, it closes.
    res.once("finish", () => (socket as Socket).destroySoon());
    return res;
  }

  private admit(req: IncomingMessage, res: ServerResponse, socket: Duplex, head: Buffer): void {
    const ctx = this.ctx;
    const conn = ctx.connections.of(socket as Socket)!;
    if (!wantsWebSocket(req.headers)) {
      if (!hasBody(req)) return this.intake.handle(req, res, false);
      ctx.counters.requests++;
      return this.refuse(req, res, "FERRY_UPGRADE_UNSUPPORTED", "Upgrade with a request body");
    }
    ctx.counters.requests++;
    const ex = startExchange(ctx, conn, req, res);
    if (ex === undefined) return;
    const route = ex.route;
    const { responder } = ctx;
    const verdict = checkHandshake(req.method, req.httpVersion, req.headers);
    if (!verdict.ok) {
      ctx.counters.malformedRequests++;
      return responder.fail(ex, "FERRY_BAD_HANDSHAKE", verdict.reason);
    }
    if (route === undefined)
      return responder.fail(ex, "FERRY_NO_ROUTE", `no route for ${(req.url ?? "/").slice(0, 200)}`);
    const group = route.target.kind === "handler" ? ctx.groups.get(route.target.group) : undefined;
    if (group === undefined || group.protocol !== "ferry") {
      return responder.fail(
        ex,
        "FERRY_UPGRADE_UNSUPPORTED",
        `the route's target (${route.target.kind === "handler" ? `${group?.protocol ?? "unknown"} group` : route.target.kind}) does not take WebSockets`,
      );
    }
    if (!group.hasLiveHandler()) return failNoHandler(ctx, ex, group.name);
    ex.group = group;
    ex.upgrade = { socket, head, protocols: verdict.protocols };
    group.dispatch(ex);
  }

  private refuse(
    req: IncomingMessage,
    res: ServerResponse,
    code: "FERRY_UPGRADE_UNSUPPORTED",
    message: string,
  ): void {
    const ex = openExchange(this.ctx, this.ctx.connections.of(req.socket)!, req, res, undefined);
    this.ctx.responder.fail(ex, code, message);
  }
}

function hasBody(req: IncomingMessage): boolean {
  const h = req.headers;
  return (
    (h["content-length"] !== undefined && h["content-length"] !== "0") ||
    h["transfer-encoding"] !== undefined
  );
}
