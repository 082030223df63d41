/**
 * Hard limits of protocol v1. A message past any of them is invalid (ProtocolError ERR_LIMIT).
 * They bound what one message can make a peer allocate, whatever its configuration.
 */
export const Limits = {
  /** Targets in one `to` list (one message to many connections). */
  maxTargets: 100_000,
  /** Header pairs in a request or `head`. */
  maxHeaders: 1_000,
  /** Bytes in one string field (method, target, header name or value, ids, messages). */
  maxString: 65_536,
  /** Bytes in one binary field (`body`, `data`). */
  maxBinary: 64 * 1024 * 1024,
  /** Bytes in a frontend or handler id (they are ZeroMQ topics). */
  maxId: 128,
  /** Nesting of arrays and maps (v1 messages nest 3 deep; unknown fields may nest more). */
  maxDepth: 32,
  /** Largest connection or request id: ids stay exact in every language's doubles. */
  maxId53: Number.MAX_SAFE_INTEGER,
} as const;
