/**
 * Hard limits of the Mongrel2 codec. They bound what one message can make a peer allocate or
 * recurse into, whatever bytes arrive. Mongrel2's own limits are noted where they differ.
 */
export const M2Limits = {
  /** Digits in a netstring / tnetstring length prefix (999,999,999 bytes at most). */
  maxLengthDigits: 9,
  /** Bytes in one netstring or tnetstring payload (a request body, a reply body). */
  maxPayload: 64 * 1024 * 1024 + 1024,
  /** Nesting of tnetstring lists/dicts and JSON arrays/objects. */
  maxDepth: 32,
  /** Entries in one header dict (JSON or tnetstring). */
  maxHeaders: 1_000,
  /** Connection ids in one reply: Mongrel2's `limits.handler_targets` default. */
  maxTargets: 128,
  /** Bytes in the sender UUID (Mongrel2's `send_ident`). */
  maxUuid: 128,
  /** Bytes in the request path. */
  maxPath: 65_536,
} as const;
