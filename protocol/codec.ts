/**
 * Ferry protocol v2 codec: one msgpack map per message. Plain maps only (never msgpackr records),
 * bodies as bin, integers as integers, so any msgpack library reads and writes it.
 *
 * Each call is one pass: the encoder writes msgpack while it validates (message-encoder.ts), the
 * decoder validates while it reads (message-decoder.ts). reference-codec.ts is the slower
 * msgpackr-based codec they are tested against.
 */
import { decodeMessage } from "./message-decoder.js";
import { encodeMessage } from "./message-encoder.js";
import { ToFrontendLayout, ToHandlerLayout } from "./schema-layout.js";
import type { Draft, ToFrontendMsg, ToHandlerMsg } from "./types.js";

/** Encode a message a frontend sends to handlers. Validates it first. */
export function encodeToHandler(msg: Draft<ToHandlerMsg>): Buffer {
  return encodeMessage(ToHandlerLayout, msg);
}

/** Encode a message a handler sends to frontends. Validates it first. */
export function encodeToFrontend(msg: Draft<ToFrontendMsg>): Buffer {
  return encodeMessage(ToFrontendLayout, msg);
}

/** Decode and validate a message received by a handler. Throws only ProtocolError. */
export function decodeToHandler(bytes: Uint8Array): ToHandlerMsg {
  return decodeMessage(ToHandlerLayout, bytes) as ToHandlerMsg;
}

/** Decode and validate a message received by a frontend. Throws only ProtocolError. */
export function decodeToFrontend(bytes: Uint8Array): ToFrontendMsg {
  return decodeMessage(ToFrontendLayout, bytes) as ToFrontendMsg;
}
