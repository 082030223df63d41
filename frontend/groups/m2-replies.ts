/**
 * What a message on a mongrel2 group's replies socket does. One frame, `UUID LEN:IDS, BODY`:
 * BODY is raw HTTP for every listed connection (an empty BODY closes them), or an `X` reply
 * (`ctl`: keep-alive, credits, cancel). Reply bytes go to the connection's first unfinished
 * request through a response reader, which turns them into head / data / end for node:http and
 * says where the response ends; bytes after that end belong to the next pipelined request.
 */
import { isProtocolError } from "../../protocol/index.js";
import {
  decodeM2Reply,
  m2ReplyActions,
  type M2Reply,
  type M2ReplyAction,
} from "../../protocol/mongrel2/index.js";
import { headLines } from "../http/respond.js";
import { M2ResponseReader, type M2ResponseEvent } from "./m2-response-reader.js";
import type { Mongrel2Group } from "./mongrel2.js";

export function applyM2Reply(group: Mongrel2Group, frames: readonly Buffer[]): void {
  if (frames.length !== 1) {
    group.malformed("ERR_FRAMES", `mongrel2 reply with ${frames.length} frames`);
    return;
  }
  let reply: M2Reply;
  let actions: M2ReplyAction[];
  try {
    reply = decodeM2Reply(frames[0]!);
    actions = m2ReplyActions(reply);
  } catch (err) {
    if (isProtocolError(err)) group.malformed(err.code, err.message);
    else group.malformed("ERR_DECODE", String(err));
    return;
  }
  if (reply.uuid !== group.uuid) {
    // Another server's reply, or one meant for a previous start of this frontend.
    group.ctx.counters.repliesDropped++;
    return;
  }
  for (const action of actions) {
    switch (action.type) {
      case "write":
        for (const id of action.ids)
          write(
            group,
            id,
            Buffer.from(action.data.buffer, action.data.byteOffset, action.data.byteLength),
          );
        break;
      case "close":
      case "cancel":
        for (const id of action.ids) close(group, id, action.type === "cancel");
        break;
      case "keep-alive":
      case "credits":
        // Ferry's idle timer runs only between requests, and downloads are not credit-limited
        // on mongrel2 groups: nothing to do.
        break;
      case "extended":
        group.malformed("ERR_M2_EXTENDED", `extended reply "${action.name}" is not supported`);
        break;
    }
  }
}

function write(group: Mongrel2Group, conn: number, input: Buffer): void {
  const counters = group.ctx.counters;
  let data = input;
  const stray = group.strays.get(conn);
  if (stray !== undefined) {
    // A HEAD response ended in an earlier frame; its body may come now (see the reader).
    data = stray.feed(data, []);
    if (!stray.skipping) group.strays.delete(conn);
  }
  while (data.length > 0) {
    const ex = group.front(conn);
    if (ex === undefined) {
      counters.repliesDropped++; // late, or for a connection that is gone or idle
      return;
    }
    let reader = group.readers.get(ex.id);
    if (reader === undefined) {
      reader = new M2ResponseReader(ex.method === "HEAD");
      group.readers.set(ex.id, reader);
    }
    const events: M2ResponseEvent[] = [];
    try {
      data = reader.feed(data, events);
    } catch (err) {
      apply(group, ex.id, events);
      counters.badReplies++;
      group.failConnection(ex, "FERRY_BAD_REPLY", (err as Error).message);
      return;
    }
    if (reader.skipping) group.strays.set(conn, reader);
    apply(group, ex.id, events);
  }
}

function apply(group: Mongrel2Group, id: number, events: readonly M2ResponseEvent[]): void {
  // The head, body and end one reply message holds reach the client in one write, not one each.
  const socket = events.length > 1 ? group.pending.get(id)?.conn.socket : undefined;
  socket?.cork();
  try {
    applyEvents(group, id, events);
  } finally {
    socket?.uncork();
  }
}

function applyEvents(group: Mongrel2Group, id: number, events: readonly M2ResponseEvent[]): void {
  const responder = group.ctx.responder;
  for (const event of events) {
    const ex = group.pending.get(id);
    if (ex === undefined || ex.done) return;
    switch (event.type) {
      case "head":
        group.awaiting.delete(ex.id);
        responder.head(
          ex,
          event.status,
          headLines(event.status, event.headers, undefined, false),
          undefined,
          false,
        );
        break;
      case "data":
        responder.data(ex, event.data, false);
        break;
      case "end":
        responder.end(ex);
        break;
    }
    if (ex.done) group.forget(ex);
  }
}

/**
 * An empty reply (or ctl cancel) closes the connection: a close-delimited response ends there;
 * one cut short (or any response, on cancel) is cut, so the client cannot take it for whole.
 */
function close(group: Mongrel2Group, conn: number, cancel: boolean): void {
  const responder = group.ctx.responder;
  const list = group.byConn.get(conn);
  if (list === undefined) {
    // Nothing in flight (the response was complete): close the idle connection, as Mongrel2 does.
    group.ctx.connections.get(conn)?.socket.destroySoon();
    return;
  }
  for (const ex of [...list]) {
    if (ex.done) continue;
    const whole = ex.headSent && !cancel && group.readers.get(ex.id)?.closeDelimited === true;
    if (ex.headSent && !whole) {
      ex.aborted = true;
      ex.conn.socket.destroy();
    }
    responder.close(ex, whole);
    group.forget(ex);
  }
}
