/**
 * One open WebSocket: the client's messages go to the claiming handler as `ws` events, its close
 * goes as `disconnect` (with the code); the handler's messages and close come in through the
 * gateway. Keepalive: a ping every interval, and a client that has not answered the previous
 * ping by the next is dropped. Closing is bounded: a peer that never completes the close
 * handshake is cut off after CLOSE_GRACE_MS.
 */
import { isUtf8 } from "node:buffer";
import type { WebSocket } from "ws";
import { encodeToHandler } from "../../protocol/index.js";
import type { Exchange } from "../exchange.js";
import type { Counters } from "../metrics.js";
import type { WsGroup } from "./types.js";

const CLOSE_GRACE_MS = 5000;
/** Close codes that never travel in a close frame (RFC 6455 section 7.4.1). */
const LOCAL_ONLY = new Set([1005, 1006, 1015]);

/** Whether `code` may be sent in a close frame. */
export function sendableCloseCode(code: number): boolean {
  return (
    (code >= 1000 && code <= 1014 && code !== 1004 && !LOCAL_ONLY.has(code)) ||
    (code >= 3000 && code <= 4999)
  );
}

/** A close reason cut to the 123 bytes a close frame allows, never inside a character. */
export function closeReason(reason: string): string {
  const bytes = Buffer.from(reason);
  if (bytes.length <= 123) return reason;
  let end = 123;
  while (end > 0 && (bytes[end]! & 0xc0) === 0x80) end--;
  return bytes.subarray(0, end).toString("utf8");
}

export class WsSession {
  private awaitingPong = false;
  private pingDue: number;
  private closeDeadline = 0;
  /** The claiming handler is gone: nobody to tell about the close. */
  private handlerLost = false;

  constructor(
    readonly ws: WebSocket,
    readonly ex: Exchange,
    readonly group: WsGroup,
    readonly claimer: string,
    private readonly fid: string,
    private readonly counters: Counters,
    private readonly queueBytes: number,
    now: number,
    onClosed: (session: WsSession) => void,
  ) {
    const interval = group.config.websocket.pingInterval;
    this.pingDue = interval > 0 ? now + interval : Infinity;
    ws.on("message", (data: Buffer, binary: boolean) => this.fromClient(data, binary));
    ws.on("pong", () => (this.awaitingPong = false));
    // Errors (oversized message, bad frame) are followed by `close`; that is where they end.
    ws.on("error", () => {});
    ws.on("close", (code: number, reason: Buffer) => {
      this.toHandlerClosed(code, reason);
      onClosed(this);
    });
  }

  get conn(): number {
    return this.ex.conn.id;
  }

  get req(): number {
    return this.ex.id;
  }

  private fromClient(data: Buffer, binary: boolean): void {
    this.counters.wsMessagesIn++;
    const { conn, req } = this;
    this.group.publish(
      this.claimer,
      encodeToHandler({ kind: "ws", fid: this.fid, conn, req, data, binary }),
    );
  }

  private toHandlerClosed(code: number, reason: Buffer): void {
    const ex = this.ex;
    if (!this.handlerLost) {
      const sent = LOCAL_ONLY.has(code) ? undefined : code;
      const text = sent !== undefined && reason.length > 0 ? reason.toString("utf8") : undefined;
      this.group.publish(
        this.claimer,
        encodeToHandler({
          kind: "disconnect",
          fid: this.fid,
          conn: ex.conn.id,
          req: ex.id,
          ...(sent !== undefined && { code: sent }),
          ...(text !== undefined && { reason: text }),
        }),
      );
    }
    if (ex.done) return;
    ex.done = true;
    ex.observer.exchangeDone(ex);
  }

  /** A message from the handler. False when it was refused (text that is not UTF-8). */
  send(data: Uint8Array, binary: boolean): boolean {
    if (!binary && !isUtf8(data)) return false;
    if (this.ws.readyState !== 1 /* OPEN */) return true;
    this.counters.wsMessagesOut++;
    this.ex.bytes += data.length;
    this.ws.send(data, { binary });
    // A client that does not read must not make the frontend buffer without bound.
    if (this.ws.bufferedAmount > this.queueBytes) {
      this.counters.slowClientsClosed++;
      this.close(1013, "client too slow");
    }
    return true;
  }

  /** Send a close frame (the close completes when the client answers, or after the grace). */
  close(code: number, reason: string, now = performance.now()): void {
    if (this.closeDeadline === 0) this.closeDeadline = now + CLOSE_GRACE_MS;
    const ws = this.ws;
    if (ws.readyState !== 1 && ws.readyState !== 0) return;
    ws.close(sendableCloseCode(code) ? code : 1000, closeReason(reason));
  }

  /** The claiming handler was lost: close 1011, and tell nobody. */
  lose(): void {
    this.handlerLost = true;
    this.close(1011, "handler lost");
  }

  tick(now: number): void {
    if (this.closeDeadline !== 0) {
      if (now >= this.closeDeadline) this.ws.terminate();
      return;
    }
    if (now < this.pingDue) return;
    if (this.awaitingPong) {
      this.counters.wsPingTimeouts++;
      this.ws.terminate();
      return;
    }
    this.awaitingPong = true;
    this.pingDue = now + this.group.config.websocket.pingInterval;
    this.ws.ping();
  }
}
