/**
 * Hard limits of protocol v2. A message past any of them is invalid (ProtocolError ERR_LIMIT).
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
  /**
   * Nesting of arrays and maps; the top-level map is level 1 (v2 messages nest 3 deep; unknown
   * fields may nest more).
   */
  maxDepth: 32,
  /** Largest connection or request id: ids stay exact in every language's doubles. */
  maxId53: Number.MAX_SAFE_INTEGER,
  /** Bytes in a handler's `secret` (hello, heartbeat, goodbye). */
  minSecret: 16,
  maxSecret: 64,
  /** Milliseconds between a handler's heartbeats (`interval`). */
  minInterval: 100,
  maxInterval: 60_000,
  /** Requests one handler declares it takes at once (`capacity`). */
  minCapacity: 1,
  maxCapacity: 65_536,
  /** Payloads in one ZeroMQ message, and the largest `batch` a handler may declare. */
  maxBatch: 1_024,
  /** Bytes in `head.reason`. */
  maxReason: 512,
  /**
   * Bytes in one ZeroMQ message a receiver accepts (ZMQ_MAXMSGSIZE): the largest bin plus room for
   * the rest of the message. ZeroMQ applies it per frame; past it, it drops the peer's connection.
   */
  maxMessageBytes: 65 * 1024 * 1024,
} as const;
