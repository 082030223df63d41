/**
 * What a reload changes, decided from the running config and the new one, before anything is
 * touched. Pure: configs in, a plan out.
 *
 * Groups: same name, protocol and endpoints is the same group (the same object, so its sockets,
 * handlers and in-flight exchanges stay); if only settings read per request differ (timeout,
 * queue, inlineBodyLimit, responseWindow) it is retuned in place. Other endpoints or protocol
 * make a new group, and the old one drains. Settings the sockets or the handler registry were
 * built with (heartbeat, sendHighWaterMark, Mongrel2 idents and header format, WebSocket limits)
 * keep their running values on a kept group and are reported as taking effect at the next start.
 *
 * Listeners: the same `host:port` is the same listener (its certificates are read again);
 * others are added or removed.
 */
import type { ConfigProblem } from "../errors.js";
import type { Config, GroupConfig, ListenerConfig } from "../config/schema.js";

export interface ReloadPlan {
  groups: {
    /** Unchanged: the running object stays as it is. */
    readonly keep: string[];
    /** Same sockets, new per-request settings: the running object takes this config. */
    readonly retune: GroupConfig[];
    /** New groups to open (added, or replacing one whose endpoints or protocol changed). */
    readonly open: GroupConfig[];
    /** Running groups that leave the routing (removed or replaced): they drain, then close. */
    readonly retire: string[];
    /**
     * Groups still draining from an earlier reload that the new config asks for again (same
     * name, protocol and endpoints): they serve again, with this config.
     */
    readonly revive: GroupConfig[];
  };
  listeners: {
    /** Kept listeners by key, with their new config (TLS files are read again). */
    readonly keep: ListenerConfig[];
    readonly add: ListenerConfig[];
    /** Keys of listeners to stop. */
    readonly remove: string[];
  };
  /** What differs but takes effect only at the next start, by config path. */
  readonly atRestart: string[];
  /** Reasons the new config cannot be put in force (the reload is refused). */
  readonly problems: ConfigProblem[];
  /** One line per change, for the log and the reload's answer. */
  readonly changes: string[];
}

/** Group settings fixed when a group's sockets and registry are made. */
const BUILT_IN = [
  "heartbeat",
  "sendHighWaterMark",
  "headers",
  "sendIdent",
  "recvIdent",
  "websocket",
] as const;

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function sameSockets(a: GroupConfig, b: GroupConfig): boolean {
  return (
    a.protocol === b.protocol &&
    a.requests === b.requests &&
    a.replies === b.replies &&
    a.events === b.events
  );
}

export function listenerKey(listener: ListenerConfig): string {
  return `${listener.host}:${listener.port}`;
}

/** `now` with the settings `old` was built with (see BUILT_IN); the keys that differed. */
function tune(old: GroupConfig, now: GroupConfig): { tuned: GroupConfig; fixed: string[] } {
  const tuned: GroupConfig = { ...now };
  const fixed: string[] = [];
  for (const key of BUILT_IN) {
    if (!same(old[key], now[key])) {
      fixed.push(key);
      (tuned as Record<string, unknown>)[key] = old[key];
    }
  }
  return { tuned, fixed };
}

/**
 * `draining`: configs of groups still draining from an earlier reload. A new group may not bind
 * an endpoint still bound after the swap (with ipc, a second bind would silently take the path
 * over), unless it is that same group asked for again.
 */
export function planReload(
  running: Config,
  next: Config,
  draining: readonly GroupConfig[] = [],
): ReloadPlan {
  const plan: ReloadPlan = {
    groups: { keep: [], retune: [], open: [], retire: [], revive: [] },
    listeners: { keep: [], add: [], remove: [] },
    atRestart: [],
    problems: [],
    changes: [],
  };
  const stillBound = new Map<string, string>();
  for (const g of draining) {
    for (const socket of ["requests", "replies", "events"] as const)
      stillBound.set(g[socket], `group "${g.name}" (draining since an earlier reload)`);
  }
  for (const [name, old] of Object.entries(running.groups)) {
    const now = next.groups[name];
    if (now !== undefined && sameSockets(old, now)) {
      const { tuned, fixed } = tune(old, now);
      for (const key of fixed) plan.atRestart.push(`groups.${name}.${key}`);
      if (same(old, tuned)) plan.groups.keep.push(name);
      else {
        plan.groups.retune.push(tuned);
        plan.changes.push(`group ${name}: settings changed`);
      }
      continue;
    }
    plan.groups.retire.push(name);
    for (const socket of ["requests", "replies", "events"] as const)
      stillBound.set(old[socket], `group "${name}" (draining until its requests finish)`);
    if (now === undefined) plan.changes.push(`group ${name}: removed (drains)`);
  }
  for (const [name, now] of Object.entries(next.groups)) {
    const old = running.groups[name];
    if (old !== undefined && sameSockets(old, now)) continue;
    const back = draining.find((g) => g.name === name && sameSockets(g, now));
    if (back !== undefined) {
      const { tuned, fixed } = tune(back, now);
      for (const key of fixed) plan.atRestart.push(`groups.${name}.${key}`);
      plan.groups.revive.push(tuned);
      plan.changes.push(`group ${name}: back (it was draining)`);
      continue;
    }
    plan.groups.open.push(now);
    plan.changes.push(
      old === undefined
        ? `group ${name}: added`
        : `group ${name}: new endpoints or protocol (the old sockets drain)`,
    );
    for (const socket of ["requests", "replies", "events"] as const) {
      const holder = stillBound.get(now[socket]);
      if (holder !== undefined) {
        plan.problems.push({
          path: `groups.${name}.${socket}`,
          message: `${now[socket]} is still bound by ${holder}; use another endpoint, or remove that group in one reload and add this one in the next`,
        });
      }
    }
  }

  const runningListeners = new Map(running.listeners.map((l) => [listenerKey(l), l]));
  const nextKeys = new Set<string>();
  next.listeners.forEach((l, i) => {
    const key = listenerKey(l);
    nextKeys.add(key);
    const old = runningListeners.get(key);
    if (old === undefined) {
      plan.listeners.add.push(l);
      plan.changes.push(`listener ${key}: added`);
    } else {
      if (Boolean(old.tls) !== Boolean(l.tls)) plan.atRestart.push(`listeners[${i}].tls`);
      plan.listeners.keep.push(l);
    }
  });
  for (const key of runningListeners.keys()) {
    if (nextKeys.has(key)) continue;
    plan.listeners.remove.push(key);
    plan.changes.push(`listener ${key}: removed (open connections finish)`);
  }

  if (!same(running.hosts, next.hosts)) plan.changes.push("hosts and routes: replaced");
  if (!same(running.limits, next.limits)) {
    plan.changes.push("limits: changed");
    if (running.limits.connectionQueueBytes !== next.limits.connectionQueueBytes)
      plan.atRestart.push("limits.connectionQueueBytes");
  }
  if (running.name !== next.name) plan.atRestart.push("name");
  if (!same(running.control, next.control)) plan.atRestart.push("control");
  if (running.pidFile !== next.pidFile) plan.atRestart.push("pidFile");
  if (!same(running.shutdown, next.shutdown)) plan.changes.push("shutdown: changed");
  return plan;
}
