import { z } from "zod";

const ms = (fallback: number) =>
  z
    .number()
    .int()
    .positive()
    .max(2 ** 31 - 1)
    .default(fallback);

/**
 * A proxy route target: requests are passed to one HTTP(S) upstream over a keep-alive pool.
 * Unknown keys are refused so a typo fails at start-up.
 */
export const ProxyRouteConfigSchema = z.strictObject({
  /** The upstream's base URL; its path (if any) is prepended to the forwarded path. */
  upstream: z.url({ protocol: /^https?$/, error: "must be an http:// or https:// URL" }),
  /** A path prefix removed before forwarding (the route's mount point). */
  stripPrefix: z.string().regex(/^\/.*/, "must start with /").optional(),
  timeouts: z
    .strictObject({
      /** Establishing the TCP (and TLS) connection; past it, 504. */
      connect: ms(5_000),
      /** From the request being sent until the upstream's response head; past it, 504. */
      headers: ms(30_000),
      /** Longest silence between response body chunks; past it the client connection is cut. */
      body: ms(60_000),
    })
    .prefault({}),
  /** Most connections kept open to this upstream. */
  connections: z.number().int().positive().max(65_536).default(64),
  /**
   * Requests waiting for a free upstream connection: past `length` waiting, 503
   * FERRY_UPSTREAM_BUSY; after `wait` ms waiting, 504 FERRY_UPSTREAM_TIMEOUT.
   */
  queue: z
    .strictObject({
      length: z.number().int().min(0).max(1_000_000).default(1024),
      wait: ms(5_000),
    })
    .prefault({}),
  /** How long an idle upstream connection is kept for reuse, in ms. */
  keepAliveTimeout: ms(4_000),
});

/** The config as written by a user (defaults not yet applied). */
export type ProxyRouteInput = z.input<typeof ProxyRouteConfigSchema>;
/** The config after validation: defaults applied. */
export type ProxyRouteConfig = z.output<typeof ProxyRouteConfigSchema>;

/** The same config as a member of the frontend's route-target union (`kind: "proxy"`). */
export const ProxyTargetSchema = ProxyRouteConfigSchema.extend({ kind: z.literal("proxy") });
export type ProxyTarget = z.output<typeof ProxyTargetSchema>;
