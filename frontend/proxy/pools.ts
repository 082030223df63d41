/**
 * One undici Pool per upstream (origin plus connection settings), created on first use and kept,
 * so every request to an upstream reuses its keep-alive connections.
 */
import { Pool } from "undici";
import type { ProxyRouteConfig } from "./config.js";

export class UpstreamPools {
  private readonly pools = new Map<string, Pool>();
  private closed = false;

  get(route: ProxyRouteConfig): Pool {
    if (this.closed) throw new Error("upstream pools are closed");
    const origin = new URL(route.upstream).origin;
    const key = `${origin} ${route.connections} ${route.keepAliveTimeout} ${route.timeouts.connect}`;
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

  /** Closes every pool, letting in-flight requests finish. */
  async close(): Promise<void> {
    this.closed = true;
    const pools = [...this.pools.values()];
    this.pools.clear();
    await Promise.all(pools.map((p) => p.close()));
  }
}
