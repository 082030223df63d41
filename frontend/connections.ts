/**
 * The connection table. Ids count up from 1 and are never reused in a process's life, so a late
 * reply addressed to a closed connection can never reach a new client.
 */
import type { Socket } from "node:net";
import type { Exchange } from "./exchange.js";

export class Connection {
  /** Exchanges on this connection that are not done yet (pipelined requests: several). */
  readonly exchanges = new Set<Exchange>();
  closed = false;
  constructor(
    readonly id: number,
    readonly socket: Socket,
  ) {}
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
