/**
 * Is an upgrade request a valid RFC 6455 opening handshake (section 4.2.1)? Checked before the
 * request goes to a handler, so a handler only ever sees handshakes the frontend can complete.
 * Pure: headers in, a verdict out.
 */
import type { IncomingHttpHeaders } from "node:http";

export type HandshakeVerdict = { ok: true; protocols: string[] } | { ok: false; reason: string };

/** A token (RFC 9110 section 5.6.2), as subprotocol names must be. */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** base64 of exactly 16 bytes. */
const KEY = /^[+/0-9A-Za-z]{22}==$/;

/** Whether a request's Upgrade header asks for WebSocket (other protocols are not upgrades here). */
export function wantsWebSocket(headers: IncomingHttpHeaders): boolean {
  const upgrade = headers.upgrade;
  if (upgrade === undefined) return false;
  return upgrade.split(",").some((p) => p.trim().toLowerCase() === "websocket");
}

function hasToken(value: string | undefined, token: string): boolean {
  if (value === undefined) return false;
  return value.split(",").some((p) => p.trim().toLowerCase() === token);
}

/** Comma-separated subprotocols in offer order; undefined when the header is malformed. */
export function offeredProtocols(value: string | undefined): string[] | undefined {
  if (value === undefined) return [];
  const out: string[] = [];
  for (const part of value.split(",")) {
    const name = part.trim();
    if (!TOKEN.test(name) || out.includes(name)) return undefined;
    out.push(name);
  }
  return out;
}

export function checkHandshake(
  method: string | undefined,
  httpVersion: string,
  headers: IncomingHttpHeaders,
): HandshakeVerdict {
  if (method !== "GET") return { ok: false, reason: "a WebSocket handshake is a GET" };
  if (httpVersion !== "1.1") return { ok: false, reason: "a WebSocket handshake needs HTTP/1.1" };
  if (headers.upgrade?.trim().toLowerCase() !== "websocket")
    return { ok: false, reason: "Upgrade must be exactly websocket" };
  if (!hasToken(headers.connection, "upgrade"))
    return { ok: false, reason: "Connection must include upgrade" };
  if (headers["sec-websocket-version"]?.trim() !== "13")
    return { ok: false, reason: "Sec-WebSocket-Version must be 13" };
  const key = headers["sec-websocket-key"]?.trim();
  if (key === undefined || !KEY.test(key))
    return { ok: false, reason: "Sec-WebSocket-Key must be 16 bytes of base64" };
  const protocols = offeredProtocols(headers["sec-websocket-protocol"]);
  if (protocols === undefined)
    return { ok: false, reason: "Sec-WebSocket-Protocol must be a list of distinct tokens" };
  return { ok: true, protocols };
}
