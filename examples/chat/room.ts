/** Who is listening: long-poll requests waiting for the next message, and SSE streams. */
import type { ReplyAddress } from "../../handler/index.js";

export class Room {
  readonly polling = new Map<string, ReplyAddress>();
  readonly streaming = new Map<string, ReplyAddress>();
  disconnects = 0;
  sent = 0;

  static key(a: ReplyAddress): string {
    return `${a.fid}/${a.req}`;
  }

  /**
   * Groups addresses by frontend: one message per frontend reaches all of its clients. Each
   * target is [conn, req, token]: the token lets the reply through.
   */
  static byFrontend(
    addresses: Iterable<ReplyAddress>,
  ): Map<string, Array<[number, number, number]>> {
    const out = new Map<string, Array<[number, number, number]>>();
    for (const a of addresses) {
      let list = out.get(a.fid);
      if (!list) out.set(a.fid, (list = []));
      list.push([a.conn, a.req, a.token]);
    }
    return out;
  }
}
