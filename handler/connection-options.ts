/**
 * What a HandlerConnection is configured with: the options, their defaults, and their checks.
 * Kept apart from the connection so that its constructor reads as wiring, and so that the
 * limits the protocol carries (capacity, batch, heartbeat interval) are checked in one place.
 */
import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import { Limits } from "../protocol/index.js";
import { HandlerError } from "./errors.js";
import type { FrontendEndpoints, Transport } from "./transport/types.js";

export const DEFAULT_ENDPOINTS: FrontendEndpoints = Object.freeze({
  requests: "tcp://127.0.0.1:9997",
  replies: "tcp://127.0.0.1:9996",
  events: "tcp://127.0.0.1:9998",
});

/** Sent in every hello and heartbeat: what `ferry status` shows as the handler's agent. */
export const AGENT = "ferry-ts/0.1";

export interface ConnectionOptions {
  /** Frontends to connect to (default: one, on the frontend's built-in endpoints). */
  frontends?: FrontendEndpoints[];
  /** Use this transport instead of ZeroMQ (tests). */
  transport?: Transport;
  /**
   * Requests worked on at once (1..65,536); at the limit the handler stops taking requests.
   * Default 64. Sent to the frontends as `capacity`.
   */
  concurrency?: number;
  /**
   * Requests taken beyond the concurrency (default 0; concurrency + prefetch at most 65,536). They
   * wait here, in order, for a slot, so a slot that frees starts the next request at once instead
   * of a round trip through the frontend later. The price: a request held here waits behind the
   * running ones even when another handler is free, so keep 0 when some requests are slow.
   */
  prefetch?: number;
  /**
   * Most requests taken from one frontend message (1..1,024; default: the concurrency plus the
   * prefetch, at most 1,024). Requests of a message past the concurrency limit wait here, in
   * order, for a slot.
   */
  batch?: number;
  /** Milliseconds between heartbeats (100..60,000). Default 1000. */
  heartbeatMs?: number;
  /** An explicit claim goes out when the app has not replied within this many ms. Default 10. */
  claimAfterMs?: number;
  /** Handler id; default `<host>-<pid>-<random>`. */
  hid?: string;
}

/** The options with their defaults filled in, each checked against what the protocol carries. */
export interface ResolvedOptions {
  hid: string;
  concurrency: number;
  prefetch: number;
  batch: number;
  heartbeatMs: number;
  claimAfterMs: number;
}

export function newHandlerId(): string {
  return `${hostname().slice(0, 60)}-${process.pid}-${randomBytes(4).toString("hex")}`;
}

/** Defaults filled in; a value out of range throws HandlerError ERR_OPTIONS. */
export function resolveOptions(options: ConnectionOptions): ResolvedOptions {
  const concurrency = inRange(
    "concurrency",
    options.concurrency ?? 64,
    Limits.minCapacity,
    Limits.maxCapacity,
  );
  const prefetch = inRange("prefetch", options.prefetch ?? 0, 0, Limits.maxCapacity - concurrency);
  return {
    hid: options.hid ?? newHandlerId(),
    concurrency,
    prefetch,
    batch: inRange(
      "batch",
      options.batch ?? Math.min(concurrency + prefetch, Limits.maxBatch),
      1,
      Limits.maxBatch,
    ),
    heartbeatMs: inRange(
      "heartbeatMs",
      options.heartbeatMs ?? 1000,
      Limits.minInterval,
      Limits.maxInterval,
    ),
    claimAfterMs: options.claimAfterMs ?? 10,
  };
}

/** An integer option within what the protocol carries. */
function inRange(name: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max)
    throw new HandlerError(
      "ERR_OPTIONS",
      `${name} must be an integer ${min}..${max}, got ${value}`,
    );
  return value;
}
