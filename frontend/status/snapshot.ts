/**
 * `GET /status`: what runs now, as one JSON document (docs/operations.md lists the fields).
 * Built at request time from the Frontend's live objects; nothing here is on the request path.
 */
import type { HandlerGroup } from "../groups/index.js";
import type { HandlerEntry } from "../groups/handler-registry.js";
import type { Exchange } from "../exchange.js";
import type { Frontend } from "../server.js";
import type { ReloadResult } from "../reload/reloader.js";
import { HISTORY_SECONDS, TrafficStats, type TrafficRing } from "./traffic.js";

/** Exchanges listed per group, oldest first. */
const OLDEST = 5;

export interface HandlerStatus {
  hid: string;
  agent: string | null;
  inflight: number;
  capacity: number;
  /** ms since the handler's last message (heartbeat or reply). */
  lastHeartbeat: number;
  draining: boolean;
}

export interface GroupStatusDoc {
  name: string;
  protocol: string;
  /** "serving": routes lead to it; "draining": a reload removed or replaced it. */
  state: "serving" | "draining";
  live: number;
  /** Per handler (ferry groups); null for mongrel2 groups, whose handlers announce nothing. */
  handlers: HandlerStatus[] | null;
  queued: number;
  inflight: number;
  requests: number;
  errors: number;
  /** Responses and 5xx per second, mean of the last 10 s. */
  rate: number;
  errorRate: number;
  oldest: Array<{ id: number; path: string; age: number; handler: string | null }>;
}

export interface StatusDoc {
  fid: string;
  pid: number;
  startedAt: string;
  /** Seconds since start. */
  uptime: number;
  config: {
    source: string;
    lastReload: ReloadResult | null;
    reloads: { ok: number; failed: number };
  };
  listeners: Array<{ address: string; tls: boolean }>;
  connections: number;
  websockets: number;
  inflight: number;
  requests: number;
  errors: number;
  rate: number;
  errorRate: number;
  /** Per-second responses and 5xx of the last `seconds` seconds, oldest first. */
  history: { seconds: number; requests: number[]; errors: number[] };
  groups: GroupStatusDoc[];
}

export interface StatusSources {
  source: string;
  reloads?: { last: ReloadResult | undefined; counts: { ok: number; failed: number } };
}

/** The registry of a ferry group (mongrel2 groups have none). */
function handlersOf(group: HandlerGroup): Iterable<HandlerEntry> | undefined {
  const registry = (group as { registry?: { entries?(): Iterable<HandlerEntry> } }).registry;
  return registry?.entries?.();
}

/** The exchanges a group holds, in the order it took them (both protocols keep `pending`). */
function pendingOf(group: HandlerGroup): Iterable<Exchange> {
  return (group as { pending?: Map<number, Exchange> }).pending?.values() ?? [];
}

function groupDoc(
  group: HandlerGroup,
  state: GroupStatusDoc["state"],
  ring: TrafficRing | undefined,
  now: number,
  second: number,
): GroupStatusDoc {
  const status = group.status();
  const entries = handlersOf(group);
  const handlers =
    entries === undefined
      ? null
      : [...entries].map((h) => ({
          hid: h.hid,
          agent: h.agent ?? null,
          inflight: h.inflight,
          capacity: h.capacity,
          lastHeartbeat: Math.max(0, Math.round(now - h.lastSeen)),
          draining: h.draining,
        }));
  const oldest: GroupStatusDoc["oldest"] = [];
  for (const ex of pendingOf(group)) {
    if (oldest.length === OLDEST) break;
    oldest.push({
      id: ex.id,
      path: ex.target.slice(0, 200),
      age: Math.round(now - ex.started),
      handler: ex.claimer ?? null,
    });
  }
  const rates = ring?.rates(second) ?? { rate: 0, errorRate: 0 };
  return {
    name: group.name,
    protocol: group.protocol,
    state,
    live: status.live,
    handlers,
    queued: status.queued,
    inflight: status.inflight,
    requests: ring?.requests ?? 0,
    errors: ring?.errors ?? 0,
    ...rates,
    oldest,
  };
}

export function statusSnapshot(fe: Frontend, sources: StatusSources): StatusDoc {
  const now = performance.now();
  const second = TrafficStats.now();
  const traffic = fe.traffic;
  const groups = [...fe.groups.values()].map((g) =>
    groupDoc(g, "serving", traffic.byGroup.get(g.name), now, second),
  );
  for (const g of fe.retiring) groups.push(groupDoc(g, "draining", undefined, now, second));
  return {
    fid: fe.fid,
    pid: process.pid,
    startedAt: new Date(fe.startedAt).toISOString(),
    uptime: Math.round((Date.now() - fe.startedAt) / 1000),
    config: {
      source: sources.source,
      lastReload: sources.reloads?.last ?? null,
      reloads: sources.reloads?.counts ?? { ok: 0, failed: 0 },
    },
    listeners: fe.bound.map((l) => ({ address: l.address, tls: l.tls !== undefined })),
    connections: fe.connections.size,
    websockets: fe.websockets.size,
    inflight: fe.inflight,
    requests: traffic.all.requests,
    errors: traffic.all.errors,
    ...traffic.all.rates(second),
    history: { seconds: HISTORY_SECONDS, ...traffic.all.series(second, HISTORY_SECONDS) },
    groups,
  };
}
