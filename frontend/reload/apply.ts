/**
 * Putting a reload plan in force on a running Frontend. Everything that can fail is done first,
 * beside what runs (new groups bind their sockets, new listeners bind their ports, certificates
 * are read); if any of it fails, what was opened is closed again and nothing changed. Then one
 * synchronous step swaps the groups, the routes and the limits, so every request sees either the
 * old config or the new one, never a mix. Exchanges already dispatched stay with the group that
 * took them; a group that leaves the routing drains and closes when it holds nothing more.
 */
import type { Config, GroupConfig, ListenerConfig } from "../config/schema.js";
import { ConfigError, type ConfigProblem } from "../errors.js";
import type { HandlerGroup } from "../groups/index.js";
import { loadProxy } from "../http/local-targets.js";
import { Router } from "../routes.js";
import type { Frontend, Listener } from "../server.js";
import { TlsConfigError, TlsCredentials, loadTlsMaterial } from "../tls/index.js";
import { listenerKey, type ReloadPlan } from "./plan.js";

/** How often a draining group or listener is looked at. */
const DRAIN_CHECK_MS = 100;

/** Groups draining after a reload, with the config they were opened with (their endpoints). */
export type Retiring = Map<HandlerGroup, GroupConfig>;

function problemOf(path: string, err: unknown): ConfigProblem {
  if (err instanceof TlsConfigError) {
    const prefix = `${err.path}: `;
    const message = err.message.startsWith(prefix) ? err.message.slice(prefix.length) : err.message;
    return { path: err.path, message };
  }
  return { path, message: err instanceof Error ? err.message : String(err) };
}

export async function applyReload(
  fe: Frontend,
  next: Config,
  plan: ReloadPlan,
  retiring: Retiring,
): Promise<void> {
  const router = new Router(next.hosts);
  if (next.hosts.some((h) => h.routes.some((r) => r.target.kind === "proxy"))) await loadProxy();

  const opened: Array<[GroupConfig, HandlerGroup]> = [];
  const added: Listener[] = [];
  const problems: ConfigProblem[] = [];
  for (const config of plan.groups.open) {
    try {
      opened.push([config, await fe.openGroup(config)]);
    } catch (err) {
      problems.push(problemOf(`groups.${config.name}`, err));
    }
  }
  const indexOf = (l: ListenerConfig): number =>
    next.listeners.findIndex((n) => listenerKey(n) === listenerKey(l));
  if (problems.length === 0) {
    for (const config of plan.listeners.add) {
      const path = `listeners[${indexOf(config)}]`;
      try {
        const tls = config.tls ? await TlsCredentials.load(config.tls, `${path}.tls`) : undefined;
        added.push(await fe.listen(config, tls));
      } catch (err) {
        problems.push(problemOf(path, err));
      }
    }
  }
  // Kept listeners read their certificates again (renewed files, or new paths); checked first so
  // a bad file refuses the whole reload.
  const tlsReloads: Array<[TlsCredentials, NonNullable<ListenerConfig["tls"]>]> = [];
  if (problems.length === 0) {
    for (const config of plan.listeners.keep) {
      const running = fe.bound.find((l) => l.key === listenerKey(config));
      if (running?.tls === undefined || config.tls === undefined) continue;
      const path = `listeners[${indexOf(config)}].tls`;
      try {
        await loadTlsMaterial(config.tls, path);
        tlsReloads.push([running.tls, config.tls]);
      } catch (err) {
        problems.push(problemOf(path, err));
      }
    }
  }
  if (problems.length > 0) {
    await Promise.all(opened.map(([, g]) => g.close().catch(() => undefined)));
    for (const l of added) {
      fe.unlisten(l);
      l.server.close();
    }
    throw new ConfigError(problems);
  }
  for (const [tls, config] of tlsReloads) await tls.reload(config);

  // From here on, synchronous: no request runs between these lines.
  const closing: Promise<void>[] = [];
  for (const name of plan.groups.retire) {
    const group = fe.groups.get(name);
    const config = fe.config.groups[name];
    fe.groups.delete(name);
    if (group !== undefined && config !== undefined)
      closing.push(retire(fe, group, config, retiring));
  }
  for (const config of plan.groups.retune) {
    const group = fe.groups.get(config.name);
    if (group !== undefined) setConfig(group, config);
  }
  for (const [config, group] of opened) fe.groups.set(config.name, group);
  for (const config of plan.groups.revive) {
    for (const [group, was] of retiring) {
      if (was.name !== config.name || was.requests !== config.requests) continue;
      // Its drain timer finds it no longer retiring and leaves it open.
      fe.retiring.delete(group);
      retiring.delete(group);
      setConfig(group, config);
      fe.groups.set(config.name, group);
      break;
    }
  }
  for (const key of plan.listeners.remove) {
    const listener = fe.bound.find((l) => l.key === key);
    if (listener !== undefined) retireListener(fe, listener);
  }
  fe.bound.push(...added);
  for (const l of fe.bound) applyLimits(l, next);
  fe.swapRouting(next, router);
  // Groups that held nothing close before the reload answers, so their endpoints are free for
  // the next one.
  await Promise.all(closing);
}

/**
 * Both protocols read their per-request settings (timeout, queue, limits) from `config` at each
 * use; exchanges already dispatched keep the deadlines they were given.
 */
function setConfig(group: HandlerGroup, config: GroupConfig): void {
  if ("config" in group) (group as unknown as { config: GroupConfig }).config = config;
}

/** Limits node:http reads from the server object for each new connection or request. */
function applyLimits(listener: Listener, config: Config): void {
  const limits = config.limits;
  const server = listener.server;
  (server as { maxHeaderSize?: number }).maxHeaderSize = limits.headerBytes;
  server.headersTimeout = limits.headerTimeout;
  server.requestTimeout = Math.max(300_000, limits.headerTimeout);
  server.keepAliveTimeout = limits.keepAliveTimeout;
  server.maxConnections = limits.maxConnections;
}

/**
 * Out of the routing already: tick it until it holds nothing (no exchange, no WebSocket), then
 * close it. Resolves when it is closed, or at once when it still holds something.
 */
function retire(
  fe: Frontend,
  group: HandlerGroup,
  config: GroupConfig,
  retiring: Retiring,
): Promise<void> {
  fe.retiring.add(group);
  retiring.set(group, config);
  const drained = (): boolean => group.inflight === 0 && fe.websockets.openFor(group) === 0;
  const close = async (): Promise<void> => {
    clearInterval(timer);
    if (!fe.retiring.delete(group)) return; // the frontend stopped and closed it
    try {
      await group.close();
    } finally {
      retiring.delete(group);
    }
  };
  const timer = setInterval(() => {
    if (drained()) void close();
  }, DRAIN_CHECK_MS);
  timer.unref();
  return drained() ? close() : Promise.resolve();
}

/**
 * Stop accepting on a listener. Idle keep-alive connections close now; each busy one answers its
 * request with `Connection: close` and closes after it.
 */
function retireListener(fe: Frontend, listener: Listener): void {
  fe.unlisten(listener);
  const server = listener.server;
  const closing = (_req: unknown, res: { shouldKeepAlive: boolean }): void => {
    res.shouldKeepAlive = false;
  };
  server.prependListener("request", closing);
  server.prependListener("checkContinue", closing);
  for (const conn of fe.connections.values()) {
    if ((conn.socket as { server?: unknown }).server !== server) continue;
    for (const ex of conn.exchanges) if (!ex.res.headersSent) ex.res.shouldKeepAlive = false;
  }
  server.close();
  const timer = setInterval(() => server.closeIdleConnections(), DRAIN_CHECK_MS);
  server.once("close", () => clearInterval(timer));
}
