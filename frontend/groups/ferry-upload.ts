/**
 * Streamed request bodies of a Ferry group: `body` messages to the claiming handler, never more
 * bytes than it granted with `credit`. Nothing goes before the claim (events are addressed to the
 * claimer), and the last message carries `end: true` once the client finished the body.
 */
import { encodeToHandler } from "../../protocol/index.js";
import type { Exchange } from "../exchange.js";
import type { FerryGroup } from "./ferry.js";

/** Largest `data` per `body` message: keeps messages moderate whatever the credit. */
const MAX_CHUNK = 256 * 1024;
const EMPTY = new Uint8Array(0);

export function sendUpload(group: FerryGroup, ex: Exchange): void {
  const up = ex.upload;
  const hid = ex.claimer;
  if (up === undefined || hid === undefined || ex.done || up.endSent) return;
  const base = { kind: "body", fid: group.ctx.fid, conn: ex.conn.id, req: ex.id } as const;
  for (;;) {
    const chunk = up.take(Math.min(up.credit, MAX_CHUNK));
    if (chunk === undefined) break;
    up.credit -= chunk.length;
    const last = up.drained;
    group.publish(hid, encodeToHandler({ ...base, data: chunk, ...(last && { end: true }) }));
    if (last) {
      up.endSent = true;
      return;
    }
  }
  // The end needs no credit: it carries no bytes.
  if (up.drained) {
    up.endSent = true;
    group.publish(hid, encodeToHandler({ ...base, data: EMPTY, end: true }));
  }
}

/** A `credit` from the claimer of `ex`. */
export function grantUpload(group: FerryGroup, ex: Exchange, bytes: number): void {
  const up = ex.upload;
  if (up === undefined || up.endSent) return;
  up.credit += bytes;
  sendUpload(group, ex);
}
