/**
 * What a message on a Ferry group's replies socket does. Every check that protects clients is
 * here: frames and topic, decoding, the [conn, req] address (a reply reaches only the exchange
 * it names, on the connection it names, while that exchange is live), and the claim (the first
 * handler to speak about a request owns it; the others are dropped and told to cancel).
 */
import {
  decodeToFrontend,
  isProtocolError,
  statusForWireError,
  type Target,
  type ToFrontendMsg,
} from "../../protocol/index.js";
import type { Exchange } from "../exchange.js";
import { headLines } from "../http/respond.js";
import type { FerryGroup } from "./ferry.js";
import { grantUpload } from "./ferry-upload.js";

const STAR = 42; // "*"

function topicOk(group: FerryGroup, topic: Buffer): boolean {
  if (topic.length === 1) return topic[0] === STAR;
  return topic.length === group.fidTopic.length && topic.equals(group.fidTopic);
}

export function applyMessage(group: FerryGroup, frames: readonly Buffer[]): void {
  if (frames.length !== 2 || !topicOk(group, frames[0]!)) {
    group.malformed(
      "ERR_FRAMES",
      frames.length !== 2 ? `message with ${frames.length} frames` : "unexpected topic",
    );
    return;
  }
  let msg: ToFrontendMsg;
  try {
    msg = decodeToFrontend(frames[1]!);
  } catch (err) {
    if (isProtocolError(err)) group.malformed(err.code, err.message);
    else group.malformed("ERR_DECODE", String(err));
    return;
  }
  const now = performance.now();
  const { registry, ctx } = group;
  switch (msg.kind) {
    case "hello":
    case "heartbeat": {
      const created = registry.seen(msg, now);
      if (created) {
        ctx.counters.handlersUp++;
        ctx.events.emit("handler-up", { group: group.name, hid: msg.hid, agent: msg.agent });
        group.flush(now);
      }
      return;
    }
    case "goodbye":
      registry.goodbye(msg.hid, now);
      return;
    case "claim": {
      registry.touch(msg.hid, now);
      const ex = lookup(group, msg.conn, msg.req);
      if (ex) claim(group, ex, msg.hid);
      return;
    }
    case "head":
    case "data":
    case "end":
    case "close":
    case "error":
      registry.touch(msg.hid, now);
      deliver(group, msg, msg.to);
      return;
    case "credit": {
      registry.touch(msg.hid, now);
      const ex = lookup(group, msg.conn, msg.req);
      if (ex === undefined || !claim(group, ex, msg.hid)) return;
      if (ex.upload === undefined) ctx.counters.repliesDropped++;
      else grantUpload(group, ex, msg.bytes);
      return;
    }
    case "ws":
      registry.touch(msg.hid, now);
      ctx.websockets.message(group, msg);
      return;
  }
}

/** The live exchange a [conn, req] names, or undefined (counted as dropped). */
function lookup(group: FerryGroup, conn: number, req: number): Exchange | undefined {
  const ex = group.pending.get(req);
  if (ex === undefined || ex.conn.id !== conn || ex.done) {
    group.ctx.counters.repliesDropped++;
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

function deliver(group: FerryGroup, msg: Reply, to: readonly Target[]): void {
  const responder = group.ctx.responder;
  // A head's header lines are the same for every target: made once, on the first that needs them.
  let lines: readonly string[] | undefined;
  for (let i = 0; i < to.length; i++) {
    const target = to[i]!;
    // A target that is an open WebSocket (its upgrade exchange is done) is the gateway's.
    if (group.ctx.websockets.has(group, target)) {
      group.ctx.websockets.reply(group, msg, target);
      continue;
    }
    const ex = lookup(group, target[0], target[1]);
    if (ex === undefined || !claim(group, ex, msg.hid)) continue;
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
        responder.head(ex, msg.status, lines, msg.body, msg.end === true);
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
        responder.handlerError(ex, statusForWireError(msg.code, msg.status), msg.code, msg.message);
        break;
      case "ws":
        // A message before the 101: the upgrade is not complete.
        group.ctx.counters.badReplies++;
        break;
    }
    if (ex.done) group.forget(ex);
  }
}
