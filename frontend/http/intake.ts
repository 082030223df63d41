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
import { failNoHandler, openExchange, routeOf } from "./exchange-start.js";
import { Upload } from "./upload.js";

const EXCHANGE = Symbol("ferry.exchange");
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
  nextRequestId(): number;
}

export class Intake {
  constructor(private readonly ctx: IntakeContext) {}

  /** `request` and `checkContinue` events of node:http servers. */
  handle(req: IncomingMessage, res: ServerResponse, expectsContinue: boolean): void {
    const ctx = this.ctx;
    ctx.counters.requests++;
    const conn = ctx.connections.of(req.socket);
    if (conn === undefined || conn.closed) {
      res.destroy();
      return;
    }
    const url = req.url ?? "/";
    if (req.httpVersionMajor !== 1 || hostCount(req.rawHeaders) > 1) {
      // HTTP/0.9-style lines parse, but Ferry speaks 1.x only; two Hosts make routing ambiguous.
      const ex = openExchange(ctx, conn, req, res, undefined);
      ctx.counters.malformedRequests++;
      res.shouldKeepAlive = false;
      return ctx.responder.fail(
        ex,
        "FERRY_BAD_REQUEST",
        "unsupported HTTP version or more than one Host header",
      );
    }
    const route = routeOf(ctx, req);
    const ex = openExchange(ctx, conn, req, res, route);
    if (route === undefined)
      return ctx.responder.fail(ex, "FERRY_NO_ROUTE", `no route for ${url.slice(0, 200)}`);
    if (route.target.kind !== "handler") {
      return serveLocal(ex, route.target, route.prefix, expectsContinue, ctx.responder.stopping);
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

function hostCount(raw: readonly string[]): number {
  let n = 0;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    if (name.length === 4 && name.toLowerCase() === "host") n++;
  }
  return n;
}

// Shared listeners (`this` is the request), so reading a body costs no closure per request.
function onBodyData(this: TaggedRequest, chunk: Buffer): void {
  const ex = this[EXCHANGE];
  const intake = this[INTAKE];
  if (ex === undefined || intake === undefined || ex.done) return;
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
  if (ex === undefined || ex.done) return;
  if (ex.upload !== undefined) ex.upload.end();
  else if (ex.bodyChunks !== undefined) this[INTAKE]?.bodyComplete(ex);
}
