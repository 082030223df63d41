/**
 * Frontend side: what a decoded Mongrel2 reply asks the frontend to do. The body of a plain reply
 * is raw bytes for the client socket (an HTTP response, WebSocket frames, anything): Ferry writes it
 * as is and cannot see where a response ends, so it relies on the handler's framing.
 */
import type { TnetValue } from "./tnetstring.js";
import { m2CtlOf, type M2Reply } from "./reply.js";

export type M2ReplyAction =
  /** Write `data` raw to each connection. */
  | { type: "write"; ids: number[]; data: Uint8Array }
  /** Close each connection after what was written (an empty body). */
  | { type: "close"; ids: number[] }
  /** `["ctl", {"credits": N}]`: the handler may be sent N more bytes of an upload / credit grant. */
  | { type: "credits"; ids: number[]; bytes: number }
  /** `["ctl", {"keep-alive": ...}]`: reset the idle timer. */
  | { type: "keep-alive"; ids: number[] }
  /** `["ctl", {"cancel": ...}]`: close now. */
  | { type: "cancel"; ids: number[] }
  /** Another extended request (Mongrel2 `sendfile` etc.): not built in. */
  | { type: "extended"; ids: number[]; name: string; args: TnetValue };

/** The actions of one reply, in the order Mongrel2 applies them (keep-alive, credits, cancel). */
export function m2ReplyActions(reply: M2Reply): M2ReplyAction[] {
  const ids = reply.ids;
  if (reply.extended === undefined) {
    return [
      reply.body.length === 0 ? { type: "close", ids } : { type: "write", ids, data: reply.body },
    ];
  }
  const ctl = m2CtlOf(reply);
  if (ctl === undefined) {
    return [{ type: "extended", ids, name: reply.extended.name, args: reply.extended.args }];
  }
  const actions: M2ReplyAction[] = [];
  if (ctl.keepAlive) actions.push({ type: "keep-alive", ids });
  if (ctl.credits !== undefined) actions.push({ type: "credits", ids, bytes: ctl.credits });
  if (ctl.cancel) actions.push({ type: "cancel", ids });
  return actions;
}
