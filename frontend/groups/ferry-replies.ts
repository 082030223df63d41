/**
 * What a message on a Ferry group's replies socket does. Every check that protects clients is
 * here: frames and topic, decoding, the secret of a hello/heartbeat/goodbye (bound to its hid),
 * the [conn, req, token] address (a reply reaches only the exchange it names, on the connection
 * it names, while that exchange is live, and only with that request's token), and the claim (the
 * first handler to speak about a request owns it; the others are dropped and told to cancel).
 * A message is [topic, payload, ...]: the payloads are applied in order, each on its own.
 */
import {
  decodeToFrontend,
  isProtocolError,
  Limits,
  statusForWireError,
  type ProtocolError,
  type Target,
  type ToFrontendMsg,
} from "../../protocol/index.js";
import type { Exchange } from "../exchange.js";
import { headLines } from "../http/respond.js";
import type { FerryGroup } from "./ferry.js";
import { grantUpload } from "./ferry-upload.js";
import { reasonPhrase } from "./ferry-reason.js";

const STAR = 42; // "*"

function topicOk(group: FerryGroup, topic: Buffer): boolean {
  if (topic.length === 1) return topic[0] === STAR;
  return topic.length === group.fidTopic.length && topic.equals(group.fidTopic);
}

export function applyMessage(group: FerryGroup, frames: readonly Buffer[]): void {
  const n = frames.length;
  if (n < 2 || n > Limits.maxBatch + 1) {
    group.malformed("ERR_FRAMES", `message with ${n} frames`);
    return;
  }
  // SUB matches prefixes: "web-1" also receives what is published for "web-10". Another peer's
  // topic is not an error: it is ignored, uncounted.
  if (!topicOk(group, frames[0]!)) return;
  const now = performance.now();
  for (let i = 1; i < n; i++) applyPayload(group, frames[i]!, frames[0]!, now);
}

function rejected(group: FerryGroup, err: ProtocolError, topic: Buffer): void {
  group.malformed(err.code, err.message);
  // A v1 handler is a deployment to fix, not noise: say so (rate-limited), whatever was logged.
  if (err.peer?.version === 1) {
    const hid = err.peer.id ?? `(topic ${topic.toString("utf8").slice(0, 128)})`;
    group.warn(
      `v1:${hid}`,
      `handler ${hid} speaks Ferry protocol v1; this frontend speaks v2 (needs secret, token, v:2): upgrade the handler`,
      { hid, code: err.code },
    );
  }
}

function applyPayload(group: FerryGroup, payload: Buffer, topic: Buffer, now: number): void {
  let msg: ToFrontendMsg;
  try {
    msg = decodeToFrontend(payload);
  } catch (err) {
    if (isProtocolError(err)) rejected(group, err, topic);
    else group.malformed("ERR_DECODE", String(err));
    return;
  }
  const { registry, ctx } = group;
  switch (msg.kind) {
    case "hello":
    case "heartbeat": {
      const seen = registry.seen(msg, now);
      switch (seen.outcome) {
        case "new":
          ctx.counters.handlersUp++;
          ctx.events.emit("handler-up", { group: group.name, hid: msg.hid, agent: msg.agent });
          group.flush(now);
          return;
        case "back":
          group.flush(now);
          return;
        case "known":
          // Its capacity may have grown: queued requests may go now.
          group.flush(now);
          return;
        case "spoofed":
          group.spoofed(msg.hid, msg.kind);
          return;
        case "refused":
          ctx.counters.handlersRefused++;
          group.warn(
            "max-handlers",
            `hello from handler ${msg.hid} refused: the group already holds maxHandlers (${group.config.maxHandlers}) handlers`,
            { hid: msg.hid },
          );
          return;
      }
      return;
    }
    case "goodbye":
      if (registry.goodbye(msg, now) === "spoofed") group.spoofed(msg.hid, msg.kind);
      return;
    case "claim": {
      const ex = lookup(group, msg.conn, msg.req, msg.token, msg.hid);
      if (ex && claim(group, ex, msg.hid)) registry.touch(msg.hid, now);
      return;
    }
    case "head":
    case "data":
    case "end":
    case "close":
    case "error":
      if (deliver(group, msg, msg.to)) registry.touch(msg.hid, now);
      return;
    case "credit": {
      const ex = lookup(group, msg.conn, msg.req, msg.token, msg.hid);
      if (ex === undefined || !claim(group, ex, msg.hid)) return;
      registry.touch(msg.hid, now);
      if (ex.upload === undefined) ctx.counters.repliesDropped++;
      else grantUpload(group, ex, msg.bytes);
      return;
    }
    case "ws":
      ctx.websockets.message(group, msg);
      return;
  }
}

/**
 * The live exchange a [conn, req, token] names, or undefined: counted as dropped when no live
 * exchange has that [conn, req], as a bad token when the token is not the request's.
 */
function lookup(
  group: FerryGroup,
  conn: number,
  req: number,
  token: number,
  hid: string,
): Exchange | undefined {
  const ex = group.pending.get(req);
  if (ex === undefined || ex.conn.id !== conn || ex.done) {
    group.ctx.counters.repliesDropped++;
    return undefined;
  }
  if (ex.token !== token) {
    group.badToken(hid);
    return undefined;
  }
  return ex;
}

/** First claim wins; a later claimant is dropped and cancelled. */
function claim(group: FerryGroup, ex: Exchange, hid: string): boolean {
  if (ex.claimer === hid) return true;
  if (ex.claimer === undefined) {
    ex.claimer = hid;
    group.registry.get(hid)?.claimed.add(ex);
    return true;
  }
  group.ctx.counters.repliesFromLoser++;
  group.cancel(hid, ex, "claimed-elsewhere");
  return false;
}

type Reply = Extract<ToFrontendMsg, { to: Target[] }>;

/** Returns whether any target accepted the reply (its token was right and the sender may answer). */
function deliver(group: FerryGroup, msg: Reply, to: readonly Target[]): boolean {
  const responder = group.ctx.responder;
  let accepted = false;
  // A head's header lines are the same for every target: made once, on the first that needs them.
  let lines: readonly string[] | undefined;
  /** The head's reason phrase once checked: "" = absent or invalid (Node's standard phrase). */
  let reason: string | undefined;
  for (let i = 0; i < to.length; i++) {
    const target = to[i]!;
    // A target that is an open WebSocket (its upgrade exchange is done) is the gateway's.
    if (group.ctx.websockets.has(group, target)) {
      group.ctx.websockets.reply(group, msg, target);
      continue;
    }
    const ex = lookup(group, target[0], target[1], target[2], msg.hid);
    if (ex === undefined || !claim(group, ex, msg.hid)) continue;
    accepted = true;
    switch (msg.kind) {
      case "head":
        if (ex.headSent) {
          group.ctx.counters.badReplies++;
          responder.fail(ex, "FERRY_BAD_REPLY", "second head for one request");
          break;
        }
        group.awaiting.delete(ex.id);
        if (ex.upgrade !== undefined && msg.status === 101) {
          if (group.ctx.websockets.accept(group, ex, msg.hid, msg.headers)) group.forget(ex);
          break;
        }
        lines ??= headLines(msg.status, msg.headers, msg.body, msg.end === true);
        if (reason === undefined && msg.reason !== undefined) {
          reason = reasonPhrase(msg.reason) ?? "";
          if (reason === "") group.ctx.counters.badReplyFields++;
        }
        responder.head(ex, msg.status, lines, msg.body, msg.end === true, reason || undefined);
        break;
      case "data":
      case "end":
        if (!ex.headSent) {
          group.ctx.counters.badReplies++;
          group.awaiting.delete(ex.id);
          responder.fail(ex, "FERRY_BAD_REPLY", `${msg.kind} before head`);
          break;
        }
        if (msg.kind === "data") responder.data(ex, msg.data, msg.end === true);
        else responder.end(ex);
        break;
      case "close":
        responder.close(ex);
        break;
      case "error":
        // `message` is for logs: it may hold a stack trace, so it never reaches the client.
        responder.handlerError(ex, statusForWireError(msg.code, msg.status), msg.code);
        break;
      case "ws":
        // A message before the 101: the upgrade is not complete.
        group.ctx.counters.badReplies++;
        break;
    }
    if ((msg.kind === "head" || msg.kind === "data") && ex.window > 0)
      checkWindow(group, ex, msg.hid);
    if (ex.done) group.forget(ex);
  }
  return accepted;
}

/** Exchanges whose handler already sent past their window (counted once each). */
const overran = new WeakSet<Exchange>();

/**
 * A handler may send `window` + the credit it was granted in response body bytes. Past that the
 * bytes are still written (the per-connection queue limit, limits.connectionQueueBytes, is what
 * bounds the frontend's memory: past it the connection is closed), but the response is counted
 * once and the handler is warned about, at most once a minute.
 */
function checkWindow(group: FerryGroup, ex: Exchange, hid: string): void {
  if (ex.bytes <= ex.window + ex.credited || overran.has(ex)) return;
  overran.add(ex);
  group.ctx.counters.windowOverruns++;
  group.warn(
    `window:${hid}`,
    `handler ${hid} sent response bytes past the request's window without credit (${ex.bytes} > ${ex.window} + ${ex.credited})`,
    { hid },
  );
}
