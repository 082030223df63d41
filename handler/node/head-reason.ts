/**
 * The reason phrase a Node app chose (`res.statusMessage`, `res.writeHead(status, reason)`),
 * kept only when it differs from the standard phrase: the frontend writes the standard one
 * anyway, so the common case costs nothing on the wire.
 */
import { STATUS_CODES } from "node:http";
import type { HeaderPair } from "../../protocol/index.js";
import type { Exchange } from "../exchange.js";

export function customReason(status: number, reason: string): string | undefined {
  return reason === "" || reason === STATUS_CODES[status] ? undefined : reason;
}

/** An Exchange whose writeHead takes the reason phrase (protocol v2 `head.reason`). */
type ReasonExchange = {
  writeHead(status: number, headers: HeaderPair[], lengthless: boolean, reason?: string): void;
};

/**
 * Status, headers and the app's reason phrase. The reason reaches the client only through an
 * Exchange whose writeHead takes it as a fourth argument (the `head.reason` field of protocol
 * v2); an Exchange that does not ignores it, and the client gets the standard phrase.
 */
export function writeNodeHead(
  ex: Exchange,
  status: number,
  headers: HeaderPair[],
  lengthless: boolean,
  reason: string,
): void {
  const custom = customReason(status, reason);
  if (custom === undefined) ex.writeHead(status, headers, lengthless);
  else (ex as unknown as ReasonExchange).writeHead(status, headers, lengthless, custom);
}
