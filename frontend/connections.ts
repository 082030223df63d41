/**
 * The connection table. Ids count up from 1 and are never reused in a process's life, so a late
 * reply addressed to a closed connection can never reach a new client.
 */
import type { Socket } from "node:net";
import type { Exchange } from "./exchange.js";

/** What an idle connection reports: no exchanges, and no Set allocated to say so. */
const NONE: ReadonlySet<Exchange> = new Set<Exchange>();

export class Connection {
  /**
   * Exchanges on this connection that are not done yet (pipelined requests: several). Held
   * only while there are some: a keep-alive connection spends most of its life idle, and an
   * empty Set kept per connection is memory that 10,000 idle clients multiply.
   */
  private open: Set<Exchange> | undefined;
  closed = false;
  /**
   * Requests that arrived after this connection was refused for pipelining too deep (it reads
   * no more and closes after its earlier responses); -1 while it is not refused.
   */
  refused = -1;
  constructor(
    readonly id: number,
    readonly socket: Socket,
  ) {}

  /** The exchanges not done yet, to read (a shared empty set when there are none). */
  get exchanges(): ReadonlySet<Exchange> {
    return this.open ?? NONE;
  }

  addExchange(ex: Exchange): void {
    (this.open ??= new Set()).add(ex);
  }

  deleteExchange(ex: Exchange): void {
    const open = this.open;
    if (open === undefined) return;
    open.delete(ex);
    // An iteration under way keeps the Set it started on; dropping it here is safe.
    if (open.size === 0) this.open = undefined;
  }
}

const CONNECTION = Symbol("ferry.connection");
type TaggedSocket = Socket & { [CONNECTION]?: Connection };

export class ConnectionTable {
  private nextId = 1;
  private readonly byId = new Map<number, Connection>();

  open(socket: Socket): Connection {
    const conn = new Connection(this.nextId++, socket);
    this.byId.set(conn.id, conn);
    (socket as TaggedSocket)[CONNECTION] = conn;
    return conn;
  }

  /** The connection a socket was registered with (undefined for sockets never opened here). */
  of(socket: Socket): Connection | undefined {
    return (socket as TaggedSocket)[CONNECTION];
  }

  get(id: number): Connection | undefined {
    return this.byId.get(id);
  }

  close(conn: Connection): void {
    conn.closed = true;
    this.byId.delete(conn.id);
  }

  get size(): number {
    return this.byId.size;
  }

  values(): IterableIterator<Connection> {
    return this.byId.values();
  }
}
