/**
 * The WebSockets a handler connection holds, by frontend and request id: where `ws` and
 * `disconnect` events for them go.
 */
import type { DisconnectMsg, WsEventMsg } from "../../protocol/index.js";
import type { FerryWebSocket } from "./socket.js";

export class WebSocketTable {
  private readonly byFid = new Map<string, Map<number, FerryWebSocket>>();
  private count = 0;
  private emptyWaiters: Array<() => void> = [];

  get size(): number {
    return this.count;
  }

  add(ws: FerryWebSocket): void {
    let byReq = this.byFid.get(ws.fid);
    if (!byReq) this.byFid.set(ws.fid, (byReq = new Map()));
    if (!byReq.has(ws.req)) this.count++;
    byReq.set(ws.req, ws);
  }

  delete(ws: FerryWebSocket): void {
    const byReq = this.byFid.get(ws.fid);
    if (byReq?.get(ws.req) !== ws) return;
    byReq.delete(ws.req);
    if (byReq.size === 0) this.byFid.delete(ws.fid);
    this.count--;
    if (this.count === 0) for (const w of this.emptyWaiters.splice(0)) w();
  }

  get(fid: string, req: number): FerryWebSocket | undefined {
    return this.byFid.get(fid)?.get(req);
  }

  /** A client's message. False when no socket here has that address. */
  message(msg: WsEventMsg): boolean {
    const ws = this.get(msg.fid, msg.req);
    if (ws === undefined || ws.conn !== msg.conn) return false;
    ws.received(msg.data, msg.binary);
    return true;
  }

  /** The client (or the frontend) closed: the socket reports `close` with the code it got. */
  disconnect(msg: DisconnectMsg): void {
    const byReq = this.byFid.get(msg.fid);
    if (!byReq) return;
    const sockets =
      msg.req !== undefined
        ? [byReq.get(msg.req)]
        : [...byReq.values()].filter((ws) => ws.conn === msg.conn);
    for (const ws of sockets) {
      if (ws === undefined || ws.conn !== msg.conn) continue;
      ws.closed(msg.code ?? 1005, msg.reason ?? "", msg.code !== undefined);
    }
  }

  /** A frontend is gone: its sockets are closed abnormally (1006). */
  frontendGone(fid: string): void {
    for (const ws of [...(this.byFid.get(fid)?.values() ?? [])]) ws.closed(1006, "", false);
  }

  /** Close every socket (the handler is draining). */
  closeAll(code: number, reason: string): void {
    for (const byReq of this.byFid.values())
      for (const ws of byReq.values()) ws.close(code, reason);
  }

  /** Resolves when no socket is left, or after `timeoutMs`. */
  whenEmpty(timeoutMs: number): Promise<void> {
    if (this.count === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      this.emptyWaiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}
