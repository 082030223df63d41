import { Socket } from "node:net";
import { describe, expect, it } from "vitest";
import { ConnectionTable } from "../../../frontend/connections.js";
import type { Exchange } from "../../../frontend/exchange.js";

const exchange = (id: number) => ({ id }) as unknown as Exchange;

describe("connection table", () => {
  it("gives ids from 1 up, never reused, and finds a connection by socket and by id", () => {
    const table = new ConnectionTable();
    const a = new Socket();
    const b = new Socket();
    const ca = table.open(a);
    const cb = table.open(b);
    expect([ca.id, cb.id]).toEqual([1, 2]);
    expect(table.of(a)).toBe(ca);
    expect(table.get(2)).toBe(cb);
    table.close(ca);
    expect(ca.closed).toBe(true);
    expect(table.get(1)).toBeUndefined();
    expect(table.size).toBe(1);
    expect(table.open(new Socket()).id).toBe(3);
    expect(table.of(new Socket())).toBeUndefined();
  });

  it("tracks exchanges in order while they are open, and reports none when idle", () => {
    const conn = new ConnectionTable().open(new Socket());
    expect(conn.exchanges.size).toBe(0);
    expect([...conn.exchanges]).toEqual([]);
    const [x, y] = [exchange(1), exchange(2)];
    conn.addExchange(x);
    conn.addExchange(y);
    expect([...conn.exchanges]).toEqual([x, y]);
    conn.deleteExchange(x);
    expect([...conn.exchanges]).toEqual([y]);
    conn.deleteExchange(y);
    expect(conn.exchanges.size).toBe(0);
    conn.deleteExchange(y);
    expect(conn.exchanges.size).toBe(0);
    conn.addExchange(x);
    expect([...conn.exchanges]).toEqual([x]);
  });

  it("lets exchanges be deleted while they are iterated (a closing socket ends each one)", () => {
    const conn = new ConnectionTable().open(new Socket());
    const all = [exchange(1), exchange(2), exchange(3)];
    for (const ex of all) conn.addExchange(ex);
    const seen: Exchange[] = [];
    for (const ex of conn.exchanges) {
      seen.push(ex);
      conn.deleteExchange(ex);
    }
    expect(seen).toEqual(all);
    expect(conn.exchanges.size).toBe(0);
  });

  it("keeps each connection's exchanges apart, though idle ones share the empty view", () => {
    const table = new ConnectionTable();
    const c1 = table.open(new Socket());
    const c2 = table.open(new Socket());
    c1.addExchange(exchange(1));
    expect(c1.exchanges.size).toBe(1);
    expect(c2.exchanges.size).toBe(0);
  });
});
