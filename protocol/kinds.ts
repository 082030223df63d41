/** Protocol version carried in every message's `v` field. */
export const PROTOCOL_VERSION = 2;

/**
 * Every message kind of protocol v2. `ws` and `credit` travel both ways, with different fields
 * in each direction; see types.ts.
 */
export const Kind = {
  // frontend -> handler
  Request: "request",
  Body: "body",
  Disconnect: "disconnect",
  Cancel: "cancel",
  // handler -> frontend
  Hello: "hello",
  Heartbeat: "heartbeat",
  Claim: "claim",
  Head: "head",
  Data: "data",
  End: "end",
  Close: "close",
  Error: "error",
  Goodbye: "goodbye",
  // both directions
  Ws: "ws",
  Credit: "credit",
} as const;
export type Kind = (typeof Kind)[keyof typeof Kind];

/** Kinds a handler may receive (on PULL or on the events SUB). */
export const ToHandlerKinds = [
  Kind.Request,
  Kind.Body,
  Kind.Ws,
  Kind.Disconnect,
  Kind.Credit,
  Kind.Cancel,
] as const;
export type ToHandlerKind = (typeof ToHandlerKinds)[number];

/** Kinds a frontend may receive (on its replies SUB). */
export const ToFrontendKinds = [
  Kind.Hello,
  Kind.Heartbeat,
  Kind.Claim,
  Kind.Head,
  Kind.Data,
  Kind.End,
  Kind.Close,
  Kind.Ws,
  Kind.Error,
  Kind.Goodbye,
  Kind.Credit,
] as const;
export type ToFrontendKind = (typeof ToFrontendKinds)[number];

/** Topic a handler uses for messages meant for every frontend it is connected to. */
export const TOPIC_ALL = "*";
