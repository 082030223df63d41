/**
 * What a Ferry group does when a handler goes: a requests-socket peer that disconnected (its
 * pipe may have held requests: those safe to send again are re-sent at once), and a handler lost
 * or left (what it claimed, and what nobody claimed yet, is re-sent when safe, else failed).
 */
import type { Exchange } from "../exchange.js";
import type { FerryGroup } from "./ferry.js";
import type { HandlerEntry } from "./handler-registry.js";
import { encodeRequest } from "./request-message.js";

/**
 * Re-sends of one request because a requests-socket peer disconnected. Bounded, so a peer that
 * connects and drops over and over cannot make the frontend send a request without end.
 */
const MAX_FAST_RESENDS = 2;
/**
 * ZeroMQ reports a disconnect on the monitor before the requests socket has dropped that peer's
 * pipe (and before a new peer's pipe is up), so the first re-send can still go down the dead pipe.
 * What the first pass re-sent and nobody has claimed this long after is re-sent once more.
 */
const FAST_RESEND_RECHECK_MS = 100;

/** Handler loss and re-sends of one Ferry group (the group owns one). */
export class FerryLoss {
  /** The second pass of a fast re-send (FAST_RESEND_RECHECK_MS after a peer disconnected). */
  private recheck: NodeJS.Timeout | undefined;

  constructor(private readonly group: FerryGroup) {}

  /**
   * A peer of the requests socket disconnected. PUSH does not say which requests sat in its pipe,
   * so every one that may have (dispatched, unclaimed) is re-sent at once when that is safe
   * (idempotent, nothing sent to its client). A copy another handler already has is harmless:
   * the first claim wins and the other handler gets cancel.
   */
  peerGone(): void {
    const group = this.group;
    const resent = this.fastResend(group.awaiting.values());
    if (resent.length === 0) return;
    group.ctx.events.emit("handler-disconnected", { group: group.name, resent: resent.length });
    if (this.recheck) clearTimeout(this.recheck);
    this.recheck = setTimeout(() => {
      this.recheck = undefined;
      this.fastResend(resent);
    }, FAST_RESEND_RECHECK_MS).unref();
  }

  /** Re-sends those of `candidates` that may sit in a lost pipe and are safe to send again. */
  private fastResend(candidates: Iterable<Exchange>): Exchange[] {
    const resent: Exchange[] = [];
    if (this.group.registry.liveCount === 0) return resent; // nobody to take them: the heartbeat window decides
    for (const ex of [...candidates]) {
      if (ex.claimer !== undefined || ex.done || ex.fastResends >= MAX_FAST_RESENDS) continue;
      if (!ex.idempotent || ex.headSent || (ex.upload?.sent ?? 0) > 0) continue;
      ex.fastResends++;
      this.resend(ex);
      resent.push(ex);
    }
    return resent;
  }

  /**
   * A handler is gone. What it claimed, and what nobody claimed yet, is re-sent when that is
   * safe (idempotent, nothing sent to the client, some handler left to take it); else 502.
   * `reason` "left": it said goodbye and finished its work (logged at info, not counted as lost).
   */
  lose(entry: HandlerEntry, reason: string): void {
    const group = this.group;
    const { counters, responder } = group.ctx;
    const left = reason === "left";
    if (!left) counters.handlersLost++;
    const sockets = group.ctx.websockets.lose(entry.hid);
    const canResend = group.registry.liveCount > 0;
    let resent = 0;
    let failed = 0;
    const orphans = [...entry.claimed];
    for (const ex of group.awaiting.values()) if (ex.claimer === undefined) orphans.push(ex);
    for (const ex of orphans) {
      if (ex.done) continue;
      const claimedByLost = ex.claimer === entry.hid;
      // A handler that got part of a streamed body took bytes nobody can send again.
      const resendable = ex.idempotent && !ex.headSent && (ex.upload?.sent ?? 0) === 0;
      if (resendable && canResend) {
        this.resend(ex);
        resent++;
      } else if (claimedByLost || !canResend) {
        counters.handlerLost++;
        responder.fail(ex, "FERRY_HANDLER_LOST", `handler ${entry.hid} was lost (${reason})`);
        group.forget(ex);
        failed++;
      }
    }
    group.ctx.events.emit(left ? "handler-left" : "handler-lost", {
      group: group.name,
      hid: entry.hid,
      reason,
      resent,
      failed,
      sockets,
    });
  }

  private resend(ex: Exchange): void {
    const group = this.group;
    group.ctx.counters.resent++;
    if (ex.claimer !== undefined) group.registry.get(ex.claimer)?.claimed.delete(ex);
    ex.claimer = undefined;
    ex.upload?.resetCredit();
    ex.attempt++;
    group.awaiting.delete(ex.id);
    // Back in the outbox: it takes room again when it goes out.
    group.outstanding.delete(ex);
    // Same token: the request is the same, whichever handler answers it.
    ex.payload = encodeRequest(ex, group.ctx.fid, group.name, group.config.timeout);
    group.post(ex);
  }

  close(): void {
    if (this.recheck) clearTimeout(this.recheck);
    this.recheck = undefined;
  }
}
