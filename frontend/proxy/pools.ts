/**
 * One undici Pool per upstream (origin plus connection settings), created on first use and kept,
 * so every request to an upstream reuses its keep-alive connections.
 */
import { Pool } from "undici";
import type { ProxyRouteConfig } from "./config.js";
import { UpstreamGate } from "./upstream-gate.js";

function keyOf(route: ProxyRouteConfig): string {
  const origin = new URL(route.upstream).origin;
  return `${origin} ${route.connections} ${route.keepAliveTimeout} ${route.timeouts.connect}`;
}

export class UpstreamPools {
  private readonly pools = new Map<string, Pool>();
  private readonly gates = new Map<string, UpstreamGate>();
  private closed = false;

  /**
   * The gate in front of a route's pool: as many requests at once as the pool has connections.
   * Routes sharing a pool share its gate; the first route's queue settings apply.
   */
  gate(route: ProxyRouteConfig): UpstreamGate {
    const key = keyOf(route);
    let gate = this.gates.get(key);
    if (gate === undefined) {
      gate = new UpstreamGate(route.connections, route.queue.length, route.queue.wait);
      this.gates.set(key, gate);
    }
    return gate;
  }

  get(route: ProxyRouteConfig): Pool {
    if (this.closed) throw new Error("upstream pools are closed");
    const origin = new URL(route.upstream).origin;
    const key = keyOf(route);
    let pool = this.pools.get(key);
    if (pool === undefined) {
      pool = new Pool(origin, {
        connections: route.connections,
        keepAliveTimeout: route.keepAliveTimeout,
        connect: { timeout: route.timeouts.connect },
      });
      this.pools.set(key, pool);
    }
    return pool;
  }

  /** Number of pools (distinct upstreams) opened so far. */
  get size(): number {
    return this.pools.size;
  }

  /**
   * Closes every pool, letting in-flight requests finish for up to `graceMs`; then whatever is
   * left is destroyed, so a stop always ends.
   */
  async close(graceMs = 0): Promise<void> {
    this.closed = true;
    const pools = [...this.pools.values()];
    this.pools.clear();
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<"late">((resolve) => {
      timer = setTimeout(() => resolve("late"), graceMs);
    });
    const closed = Promise.all(pools.map((p) => p.close().catch(() => undefined)));
    const outcome = await Promise.race([closed, late]);
    clearTimeout(timer);
    if (outcome === "late") await Promise.all(pools.map((p) => p.destroy().catch(() => undefined)));
  }
}
