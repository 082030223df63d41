/**
 * The Mongrel2 1.12 wire format: netstrings, tnetstrings, the request and reply frames, and the
 * mapping between them and Ferry's messages. Pure: bytes in, values out, ProtocolError on bad input.
 */
export * from "./limits.js";
export {
  encodeNetstring,
  readNetstring,
  decodeNetstring,
  type NetstringRead,
} from "./netstring.js";
export * from "./tnetstring.js";
export * from "./json.js";
export * from "./request.js";
export * from "./reply.js";
export * from "./request-from-ferry.js";
export * from "./request-to-ferry.js";
export * from "./reply-actions.js";
export * from "./http-bytes.js";
export * from "./reply-from-ferry.js";
