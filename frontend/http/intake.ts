/**
 * From a parsed HTTP request to a dispatched exchange: route, liveness (503 at once), the body
 * (inline up to the group's limit, streamed past it when the group streams, 413 past
 * `limits.bodyBytes`), `Expect: 100-continue`. Node's parser (llhttp) has already refused
 * malformed requests; see client-error.ts for those.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Exchange, ExchangeObserver } from "../exchange.js";
import type { ConnectionTable } from "../connections.js";
import type { HandlerGroup } from "../groups/types.js";
import type { Counters } from "../metrics.js";
import type { Router } from "../routes.js";
import type { Responder } from "./respond.js";
import { serveLocal } from "./local-targets.js";
import { failInternal, failNoHandler, startExchange } from "./exchange-start.js";
import { watchBody } from "./body-idle.js";
import { Upload } from "./upload.js";

const EXCHANGE = Symbol("ferry.body-exchange");
const INTAKE = Symbol("ferry.intake");
type TaggedRequest = IncomingMessage & { [EXCHANGE]?: Exchange; [INTAKE]?: Intake };

export interface IntakeContext {
  readonly router: Router;
  readonly groups: ReadonlyMap<string, HandlerGroup>;
  readonly connections: ConnectionTable;
  readonly responder: Responder;
  readonly counters: Counters;
  readonly observer: ExchangeObserver;
  /** Largest request body accepted, inline or streamed (limits.bodyBytes). */
  readonly maxBodyBytes: number;
  readonly limits: { readonly pipelineDepth: number; readonly bodyIdleMs: number };
  nextRequestId(): number;
  /** A defect caught at an exchange's edge: counted and reported (logged with its stack). */
  internalError(err: unknown, where: string): void;
}

export class Intake {
  constructor(private readonly ctx: IntakeContext) {}

  /** `request` and `checkContinue` events of node:http servers. Never throws. */
  handle(req: IncomingMessage, res: ServerResponse, expectsContinue: boolean): void {
    try {
      this.admit(req, res, expectsContinue);
    } catch (err) {
      failInternal(this.ctx, req, res, err, "request");
    }
  }

  private admit(req: IncomingMessage, res: ServerResponse, expectsContinue: boolean): void {
    const ctx = this.ctx;
    ctx.counters.requests++;
    const conn = ctx.connections.of(req.socket);
    if (conn === undefined || conn.closed) {
      res.destroy();
      return;
    }
    const ex = startExchange(ctx, conn, req, res);
    if (ex === undefined) return;
    const route = ex.route;
    if (route === undefined)
      return ctx.responder.fail(ex, "FERRY_NO_ROUTE", `no route for ${ex.target.slice(0, 200)}`);
    if (hasBody(req)) watchBody(ex, ctx.limits.bodyIdleMs, this.bodyIdle);
    if (route.target.kind !== "handler") {
      return serveLocal(
        ex,
        route.target,
        route.prefix,
        expectsContinue,
        ctx.responder.stopping,
        ctx.maxBodyBytes,
      );
    }
    const group = ctx.groups.get(route.target.group);
    if (group === undefined || !group.hasLiveHandler()) {
      return failNoHandler(ctx, ex, route.target.group);
    }
    ex.group = group;
    const headers = req.headers;
    const length = headers["content-length"];
    if (length === undefined && headers["transfer-encoding"] === undefined) {
      group.dispatch(ex);
      return;
    }
    const declared = length === undefined ? undefined : Number(length);
    const limit = group.inlineBodyLimit;
    if (declared !== undefined && declared > this.maxBodyFor(group)) return this.tooLarge(ex);
    if (expectsContinue) res.writeContinue();
    const tagged = req as TaggedRequest;
    tagged[EXCHANGE] = ex;
    tagged[INTAKE] = this;
    req.on("data", onBodyData);
    req.on("end", onBodyEnd);
    if (declared !== undefined && declared > limit) {
      ex.upload = new Upload(req, declared, ex.started);
      group.dispatch(ex);
    } else {
      ex.bodyChunks = [];
    }
  }

  /** A defect on a body path: the one exchange fails, nothing escapes to the event loop. */
  defect(ex: Exchange, err: unknown, where: string): void {
    failInternal(this.ctx, ex.req, ex.res, err, where);
  }

  /**
   * No body bytes for limits.bodyIdleMs while the frontend waited for them: 408 when nothing was
   * answered yet (the connection closes: the rest of the body is unread), else the response is
   * cut.
   */
  private readonly bodyIdle = (ex: Exchange): void => {
    const ctx = this.ctx;
    try {
      ctx.counters.bodyTimeouts++;
      // Answered already (before the whole body came): the connection cannot go on without it.
      if (ex.done) {
        ex.conn.socket.destroy();
        return;
      }
      ex.local?.abort();
      ex.group?.drop(ex, "body-timeout");
      ex.upload?.discard();
      ex.bodyChunks = undefined;
      if (ex.local !== undefined && ex.res.headersSent) ex.headSent = true;
      ex.res.shouldKeepAlive = false;
      ctx.responder.fail(
        ex,
        "FERRY_BODY_TIMEOUT",
        `no request body bytes for ${ctx.limits.bodyIdleMs} ms`,
      );
    } catch (err) {
      this.defect(ex, err, "body timeout");
    }
  };

  /** Largest body a group takes: streamed up to limits.bodyBytes, else its inline limit. */
  maxBodyFor(group: HandlerGroup): number {
    return group.streamsBodies ? this.ctx.maxBodyBytes : group.inlineBodyLimit;
  }

  tooLarge(ex: Exchange): void {
    const group = ex.group!;
    const max = this.maxBodyFor(group);
    const what = group.streamsBodies
      ? "limits.bodyBytes"
      : `group "${group.name}"'s inlineBodyLimit`;
    this.ctx.responder.fail(
      ex,
      "FERRY_BODY_TOO_LARGE",
      `request body larger than ${max} bytes (${what})`,
    );
    // A dispatched exchange (streaming) is the group's: cancel its handler.
    group.drop(ex, "body-too-large");
  }

  /** The inline body outgrew the group's limit (no Content-Length): stream it from here on. */
  startStreaming(ex: Exchange, chunk: Buffer): void {
    const upload = new Upload(ex.req, undefined, ex.started);
    for (const c of ex.bodyChunks!) upload.push(c);
    upload.push(chunk);
    ex.bodyChunks = undefined;
    ex.upload = upload;
    ex.group!.dispatch(ex);
  }

  bodyComplete(ex: Exchange): void {
    const chunks = ex.bodyChunks ?? [];
    ex.body = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, ex.bodyLength);
    ex.bodyChunks = undefined;
    const group = ex.group!;
    if (!group.hasLiveHandler()) {
      this.ctx.counters.noHandler++;
      this.ctx.responder.fail(ex, "FERRY_NO_HANDLER", `no live handler in group "${group.name}"`, [
        ["retry-after", "1"],
      ]);
      return;
    }
    group.dispatch(ex);
  }
}

// Shared listeners (`this` is the request), so reading a body costs no closure per request.
function onBodyData(this: TaggedRequest, chunk: Buffer): void {
  const ex = this[EXCHANGE];
  const intake = this[INTAKE];
  if (ex === undefined || intake === undefined || ex.done) return;
  try {
    bodyData(intake, ex, chunk);
  } catch (err) {
    intake.defect(ex, err, "request body");
  }
}

function bodyData(intake: Intake, ex: Exchange, chunk: Buffer): void {
  ex.bodyLength += chunk.length;
  if (ex.upload !== undefined) {
    if (ex.bodyLength > intake.maxBodyFor(ex.group!)) intake.tooLarge(ex);
    else ex.upload.push(chunk);
    return;
  }
  if (ex.bodyChunks === undefined) return;
  const group = ex.group!;
  if (ex.bodyLength <= group.inlineBodyLimit) ex.bodyChunks.push(chunk);
  else if (group.streamsBodies && ex.bodyLength <= intake.maxBodyFor(group))
    intake.startStreaming(ex, chunk);
  else {
    ex.bodyChunks = undefined;
    intake.tooLarge(ex);
  }
}

function onBodyEnd(this: TaggedRequest): void {
  const ex = this[EXCHANGE];
  const intake = this[INTAKE];
  if (ex === undefined || intake === undefined || ex.done) return;
  try {
    if (ex.upload !== undefined) ex.upload.end();
    else if (ex.bodyChunks !== undefined) intake.bodyComplete(ex);
  } catch (err) {
    intake.defect(ex, err, "request body end");
  }
}

/** A request has a body when it says so: Content-Length above 0 or any Transfer-Encoding. */
export function hasBody(req: IncomingMessage): boolean {
  const h = req.headers;
  return (
    (h["content-length"] !== undefined && h["content-length"] !== "0") ||
    h["transfer-encoding"] !== undefined
  );
}
