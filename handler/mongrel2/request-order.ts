/**
 * Keeps the requests of each Mongrel2 connection in order. Mongrel2 replies name connections,
 * not requests, and its clients pipeline: two requests on one connection reach the handler at
 * once, and their responses must leave in request order, each framed for its own request (HEAD,
 * HTTP version). So a connection's next request goes to the app only when the response to the
 * one before it has ended; until then it waits here. Pure bookkeeping: no I/O, no timers.
 */
import type { RequestMsg } from "../../protocol/index.js";

/** One request as Mongrel2 sent it, and what to do with it when its turn comes. */
export type M2Turn =
  | { type: "request"; request: RequestMsg }
  /** A body Mongrel2 spooled to `file` (x-mongrel2-upload-done): read it, then the request. */
  | { type: "upload"; request: RequestMsg; file: string }
  /** Answered here with an error page (a WebSocket handshake, a streamed upload). */
  | { type: "refuse"; request: RequestMsg; status: number; message: string };

interface Line {
  /** Handed on and not answered yet. */
  current: M2Turn | undefined;
  waiting: M2Turn[];
}

export class RequestOrder {
  /** By server UUID, then connection id. */
  private readonly lines = new Map<string, Map<number, Line>>();

  private line(uuid: string, conn: number, create: boolean): Line | undefined {
    let byConn = this.lines.get(uuid);
    if (byConn === undefined) {
      if (!create) return undefined;
      this.lines.set(uuid, (byConn = new Map()));
    }
    let line = byConn.get(conn);
    if (line === undefined && create)
      byConn.set(conn, (line = { current: undefined, waiting: [] }));
    return line;
  }

  /** Queue a request; returns it when it may go now (nothing ahead of it on its connection). */
  add(uuid: string, turn: M2Turn): M2Turn | undefined {
    const line = this.line(uuid, turn.request.conn, true)!;
    if (line.current !== undefined) {
      line.waiting.push(turn);
      return undefined;
    }
    line.current = turn;
    return turn;
  }

  /** Whether `req` is the request being answered on `conn` (a reply to anything else is stale). */
  isCurrent(uuid: string, conn: number, req: number): boolean {
    return this.line(uuid, conn, false)?.current?.request.req === req;
  }

  /** The current request of `conn`, if any. */
  current(uuid: string, conn: number): M2Turn | undefined {
    return this.line(uuid, conn, false)?.current;
  }

  /**
   * The response to `conn`'s current request has ended: returns that request, and the next one,
   * which is now current (or undefined when none waits).
   */
  finish(uuid: string, conn: number): { done: M2Turn | undefined; next: M2Turn | undefined } {
    const line = this.line(uuid, conn, false);
    if (line === undefined) return { done: undefined, next: undefined };
    const done = line.current;
    line.current = line.waiting.shift();
    if (line.current === undefined) this.remove(uuid, conn);
    return { done, next: line.current };
  }

  /** The connection is gone: every request it had, current first. */
  drop(uuid: string, conn: number): M2Turn[] {
    const line = this.line(uuid, conn, false);
    if (line === undefined) return [];
    this.remove(uuid, conn);
    return line.current ? [line.current, ...line.waiting] : line.waiting;
  }

  private remove(uuid: string, conn: number): void {
    const byConn = this.lines.get(uuid);
    byConn?.delete(conn);
    if (byConn?.size === 0) this.lines.delete(uuid);
  }
}
