/**
 * The config file's schema: JSON, every object strict (an unknown key is a problem, so typos are
 * caught), defaults filled in. Cross-field checks live in validate.ts; docs/config.md documents
 * every key. Route targets are a union on `kind`: `handler`, `static`, `proxy`.
 */
import { z } from "zod";
import { Limits } from "../../protocol/index.js";
import { ProxyTargetSchema } from "../proxy/config.js";
import { StaticTargetSchema } from "../static/index.js";
import { TlsConfigSchema } from "../tls/index.js";
import { WebSocketConfigSchema } from "../ws/config.js";

const port = z.number().int().min(0).max(65535);
/** Longest timer node can keep (setTimeout fires at once past 2^31-1 ms). */
export const MAX_MS = 2 ** 31 - 1;
const ms = z.number().int().min(1).max(MAX_MS);
const bytes = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
const endpoint = z
  .string()
  .regex(
    /^(tcp|ipc|inproc):\/\/.+/,
    "expected a ZeroMQ endpoint such as tcp://127.0.0.1:9997 or ipc:///path",
  );

/** A listener's TLS: default key/cert plus per-host certificates chosen by SNI. */
export const TlsSchema = TlsConfigSchema;

export const ListenerSchema = z.strictObject({
  host: z.string().min(1).default("127.0.0.1"),
  port,
  tls: TlsSchema.optional(),
});

export const HandlerTargetSchema = z.strictObject({
  kind: z.literal("handler"),
  group: z.string().min(1),
});

/** What a route leads to: a handler group, a static directory, or an HTTP upstream. */
export const RouteTargetSchema = z.discriminatedUnion("kind", [
  HandlerTargetSchema,
  StaticTargetSchema,
  ProxyTargetSchema,
]);

export const RouteSchema = z.strictObject({
  /**
   * Path prefix, matched on segment boundaries: `/api` matches `/api` and `/api/x`, not `/apix`.
   * With a `(`, a Mongrel2-style pattern: a regular expression matched at the start of the path
   * (`/users/([0-9]+)`), its literal part before `(` ranking it among the prefixes.
   */
  path: z
    .string()
    .startsWith("/", "a route path starts with /")
    // Sent to handlers with every request (`route`): far below a protocol string.
    .max(4096),
  target: RouteTargetSchema,
});

export const HostSchema = z.strictObject({
  /** Exact names (`example.com`), wildcards (`*.example.com`), or `*` for any name. */
  names: z.array(z.string().min(1).max(255)).min(1),
  /** Serve requests whose Host matches no host entry. At most one host may say so. */
  default: z.boolean().default(false),
  routes: z.array(RouteSchema).min(1),
});

export const GroupSchema = z.strictObject({
  protocol: z.enum(["ferry", "mongrel2"]).default("ferry"),
  requests: endpoint,
  replies: endpoint,
  events: endpoint,
  /** ms from dispatch until the reply head; then 504. */
  timeout: ms.default(30_000),
  /** Largest request body sent inline in the request message; larger ones are streamed. */
  inlineBodyLimit: bytes.max(Limits.maxBinary).default(1024 * 1024),
  /**
   * Response body bytes a handler may send ahead of the client (the request's `window`); the
   * frontend grants more as the client reads. 0 = no window.
   */
  responseWindow: bytes.max(Limits.maxBinary).default(256 * 1024),
  heartbeat: z
    .strictObject({
      /** Expected ms between handler heartbeats (a handler's own `interval` wins). */
      interval: ms.default(1000),
      /** Heartbeats missed before a handler counts as lost. */
      misses: z.number().int().min(1).max(1000).default(3),
    })
    .prefault({}),
  queue: z
    .strictObject({
      /** Requests that may wait for a free handler. 0 = none: busy means 503 at once. */
      length: z.number().int().min(0).max(1_000_000).default(1024),
      /** ms a request may wait for a free handler before 503. */
      wait: ms.default(5000),
    })
    .prefault({}),
  /** ZeroMQ high-water mark of the requests socket, per handler. */
  sendHighWaterMark: z.number().int().min(1).max(1_000_000).default(64),
  /** ferry groups only: handlers the group holds at once; a hello from one more is refused. */
  maxHandlers: z.number().int().min(1).max(65_536).default(1024),
  /** mongrel2 groups only (docs/mongrel2.md): header format, send_ident (default: fresh per start), recv_ident. */
  headers: z.enum(["json", "tnetstring"]).default("json"),
  sendIdent: z
    .string()
    .regex(/^[A-Za-z0-9-]{1,128}$/, "1-128 of A-Z a-z 0-9 -")
    .optional(),
  recvIdent: z.string().optional(),
  /** ferry groups only (docs/websocket.md): limits of the WebSockets its handlers accept. */
  websocket: WebSocketConfigSchema.prefault({}),
});

export const LimitsSchema = z.strictObject({
  /** Largest request head; at most a protocol string (65,536 bytes), which it must fit in. */
  headerBytes: z
    .number()
    .int()
    .min(1024)
    .max(Limits.maxString)
    .default(16 * 1024),
  /** Largest request body accepted (inline or streamed); larger: 413. */
  bodyBytes: bytes.default(1024 * 1024 * 1024),
  headerTimeout: ms.default(10_000),
  keepAliveTimeout: ms.default(5000),
  maxConnections: z.number().int().min(1).max(1_000_000).default(10_000),
  /**
   * Requests outstanding on one connection (pipelined ahead of their responses). Past it the
   * request gets 503 FERRY_PIPELINE_DEPTH, the connection is not read further and closes after
   * the earlier responses.
   */
  pipelineDepth: z.number().int().min(1).max(1024).default(16),
  /** ms a request body may go without a byte from the client before 408 (or a cut). */
  bodyIdleMs: ms.default(30_000),
  /** ms a TLS client has from connecting to finishing its handshake. */
  handshakeTimeout: ms.default(10_000),
  /** Response bytes buffered for one slow client before the connection is closed. */
  connectionQueueBytes: z
    .number()
    .int()
    .min(1024)
    .max(Number.MAX_SAFE_INTEGER)
    .default(8 * 1024 * 1024),
});

export const ControlSchema = z.strictObject({
  host: z.string().min(1).default("127.0.0.1"),
  port,
  /**
   * Bearer token every request but /health must carry (docs/operations.md). Required when
   * `host` is not a loopback address, here or in FERRY_CONTROL_TOKEN.
   */
  token: z.string().min(16, "at least 16 characters").optional(),
});

export const ConfigSchema = z.strictObject({
  /** Prefix of the frontend id (`<name>-<random hex>`). */
  name: z
    .string()
    .regex(/^[A-Za-z0-9_.-]{1,64}$/, "letters, digits, _ . - only (1-64)")
    .default("ferry"),
  listeners: z.array(ListenerSchema).min(1),
  hosts: z.array(HostSchema).min(1),
  groups: z.record(
    z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, "letters, digits, _ . - only"),
    GroupSchema,
  ),
  limits: LimitsSchema.prefault({}),
  control: ControlSchema.optional(),
  /**
   * Where the frontend writes its pid, for `ferry reload` (default: `ferry-<name>.pid` in
   * $XDG_RUNTIME_DIR, else the temp directory); false: none.
   */
  pidFile: z.union([z.string().min(1), z.literal(false)]).optional(),
  shutdown: z
    .strictObject({
      /** ms to finish in-flight requests after SIGTERM/SIGINT. */
      grace: ms.default(10_000),
    })
    .prefault({}),
});

export type RawConfig = z.output<typeof ConfigSchema>;
export type ListenerConfig = z.output<typeof ListenerSchema>;
export type HostConfig = z.output<typeof HostSchema>;
export type RouteConfig = z.output<typeof RouteSchema>;
export type RouteTarget = z.output<typeof RouteTargetSchema>;
export type LimitsConfig = z.output<typeof LimitsSchema>;
export type GroupConfig = z.output<typeof GroupSchema> & { readonly name: string };
export type Config = Readonly<Omit<RawConfig, "groups">> & {
  readonly groups: Readonly<Record<string, GroupConfig>>;
};
