/** Stable codes of ProtocolError. Match on `code`, never on the message text. */
export const ProtocolErrorCode = {
  /** The bytes are not one well-formed msgpack value (truncated, unknown extension, ...). */
  Decode: "ERR_DECODE",
  /** Well-formed msgpack followed by more bytes. */
  TrailingBytes: "ERR_TRAILING_BYTES",
  /** The value is not a map. */
  NotMap: "ERR_NOT_MAP",
  /** `v` is missing, not an integer, or a version this decoder does not speak. */
  Version: "ERR_VERSION",
  /** `kind` is missing, not a string, or not a kind of this protocol version. */
  UnknownKind: "ERR_UNKNOWN_KIND",
  /** A known kind sent the wrong way (e.g. `request` on a frontend's replies socket). */
  WrongDirection: "ERR_WRONG_DIRECTION",
  /** A required field is absent. */
  MissingField: "ERR_MISSING_FIELD",
  /** A field has the wrong type or an out-of-range value. */
  FieldType: "ERR_FIELD_TYPE",
  /** A field is past a hard limit (see limits.ts). */
  Limit: "ERR_LIMIT",
  /** A ZeroMQ message with no payload frame or more than Limits.maxBatch payloads. */
  Frames: "ERR_FRAMES",
  /** A netstring that is not `LEN:BYTES,`. */
  Netstring: "ERR_NETSTRING",
  /** A tnetstring that is not well-formed. */
  Tnetstring: "ERR_TNETSTRING",
  /** Mongrel2 headers given as JSON that is not valid JSON or not an object. */
  Json: "ERR_JSON",
  /** A Mongrel2 request that does not follow `UUID ID PATH HEADERS BODY`. */
  M2Request: "ERR_M2_REQUEST",
  /** A Mongrel2 reply that does not follow `UUID SIZE:ID ID ..., BODY`. */
  M2Reply: "ERR_M2_REPLY",
} as const;
export type ProtocolErrorCode = (typeof ProtocolErrorCode)[keyof typeof ProtocolErrorCode];

/**
 * What an ERR_VERSION message said about its sender: the version it speaks and, when the map held
 * them, its `hid` (or `fid`) and `kind`. Lets a receiver name the peer that needs an upgrade.
 */
export interface PeerInfo {
  readonly version: number;
  readonly id?: string;
  readonly kind?: string;
}

/** The only error protocol/ decoders throw. `path` names the offending field, if any. */
export class ProtocolError extends Error {
  override readonly name = "ProtocolError";
  constructor(
    readonly code: ProtocolErrorCode,
    message: string,
    readonly path?: string,
    /** Set on ERR_VERSION when the payload was a map with an integer `v`. */
    readonly peer?: PeerInfo,
  ) {
    super(path ? `${path}: ${message}` : message);
  }
}

export function isProtocolError(err: unknown): err is ProtocolError {
  return err instanceof ProtocolError;
}
