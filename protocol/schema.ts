/**
 * The fields of every kind, in canonical order (the order encoders write them). One table drives
 * both the encoder and the validating decoder, so the two cannot disagree.
 */
import { Kind } from "./kinds.js";

export type FieldType =
  | "str" // msgpack str, at most Limits.maxString bytes
  | "hid" // msgpack str, 1..Limits.maxId bytes, no NUL
  | "id" // non-negative integer, at most 2^53-1
  | "uint" // non-negative integer, at most 2^53-1
  | "status" // integer 100..999
  | "bin" // msgpack bin, at most Limits.maxBinary bytes
  | "bool"
  | "scheme" // "http" | "https"
  | "headers" // array of [str, str], at most Limits.maxHeaders
  | "targets" // array of [id, id, uint] (conn, req, token), 1..Limits.maxTargets
  | "secret" // msgpack bin, Limits.minSecret..maxSecret bytes
  | "interval" // integer, Limits.minInterval..maxInterval (ms)
  | "capacity" // integer, Limits.minCapacity..maxCapacity
  | "batch" // integer, 1..Limits.maxBatch
  | "reason"; // msgpack str, at most Limits.maxReason bytes

export interface FieldSpec {
  readonly name: string;
  readonly type: FieldType;
  readonly required: boolean;
}

const req = (name: string, type: FieldType): FieldSpec => ({ name, type, required: true });
const opt = (name: string, type: FieldType): FieldSpec => ({ name, type, required: false });

const hello = [
  req("hid", "hid"),
  req("secret", "secret"),
  req("capacity", "capacity"),
  req("inflight", "uint"),
  opt("interval", "interval"),
  opt("batch", "batch"),
  opt("agent", "str"),
];
const replyTo = [req("hid", "hid"), req("to", "targets")];

/** Fields of kinds a handler receives. */
export const ToHandlerSchema: Readonly<Record<string, readonly FieldSpec[]>> = {
  [Kind.Request]: [
    req("fid", "hid"),
    req("conn", "id"),
    req("req", "id"),
    req("token", "uint"),
    req("method", "str"),
    req("target", "str"),
    req("path", "str"),
    req("query", "str"),
    req("version", "str"),
    req("headers", "headers"),
    req("remote", "str"),
    req("rport", "uint"),
    req("port", "uint"),
    req("scheme", "scheme"),
    req("host", "str"),
    req("route", "str"),
    req("group", "str"),
    opt("body", "bin"),
    opt("stream", "bool"),
    opt("length", "uint"),
    opt("window", "uint"),
    opt("timeout", "uint"),
    opt("attempt", "uint"),
    opt("upgrade", "str"),
  ],
  [Kind.Body]: [
    req("fid", "hid"),
    req("conn", "id"),
    req("req", "id"),
    req("data", "bin"),
    opt("end", "bool"),
  ],
  [Kind.Ws]: [
    req("fid", "hid"),
    req("conn", "id"),
    req("req", "id"),
    req("data", "bin"),
    req("binary", "bool"),
  ],
  [Kind.Disconnect]: [
    req("fid", "hid"),
    req("conn", "id"),
    opt("req", "id"),
    opt("code", "uint"),
    opt("reason", "str"),
  ],
  [Kind.Credit]: [req("fid", "hid"), req("conn", "id"), req("req", "id"), req("bytes", "uint")],
  [Kind.Cancel]: [req("fid", "hid"), req("conn", "id"), req("req", "id"), req("reason", "str")],
};

/** Fields of kinds a frontend receives. */
export const ToFrontendSchema: Readonly<Record<string, readonly FieldSpec[]>> = {
  [Kind.Hello]: hello,
  [Kind.Heartbeat]: hello,
  [Kind.Claim]: [req("hid", "hid"), req("conn", "id"), req("req", "id"), req("token", "uint")],
  [Kind.Head]: [
    ...replyTo,
    req("status", "status"),
    opt("reason", "reason"),
    req("headers", "headers"),
    opt("body", "bin"),
    opt("end", "bool"),
  ],
  [Kind.Data]: [...replyTo, req("data", "bin"), opt("end", "bool")],
  [Kind.End]: replyTo,
  [Kind.Close]: [...replyTo, opt("code", "uint"), opt("reason", "str")],
  [Kind.Ws]: [...replyTo, req("data", "bin"), req("binary", "bool")],
  [Kind.Error]: [...replyTo, req("code", "str"), req("message", "str"), opt("status", "status")],
  [Kind.Goodbye]: [req("hid", "hid"), req("secret", "secret"), opt("inflight", "uint")],
  [Kind.Credit]: [
    req("hid", "hid"),
    req("conn", "id"),
    req("req", "id"),
    req("token", "uint"),
    req("bytes", "uint"),
  ],
};
