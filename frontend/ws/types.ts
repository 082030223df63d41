/** Shapes shared by the WebSocket pieces, kept apart so groups/ and ws/ do not import each other. */
import type { Duplex } from "node:stream";
import type { GroupConfig } from "../config/schema.js";

/** An upgrade request waiting for its handler's answer (101 accepts, anything else refuses). */
export interface PendingUpgrade {
  readonly socket: Duplex;
  /** Bytes the client sent after the request head (handed to the WebSocket framing). */
  readonly head: Buffer;
  /** Subprotocols the client offered, in its order. */
  readonly protocols: readonly string[];
}

/** What a session needs from the ferry group whose handler accepted it. */
export interface WsGroup {
  readonly name: string;
  readonly config: GroupConfig;
  /** Publish an event on the group's events socket (topic = a handler id). */
  publish(topic: string, payload: Buffer): void;
}
