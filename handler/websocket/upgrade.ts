/**
 * Accepting WebSockets. Fetch-style apps: `const { socket, response } = upgradeWebSocket(request)`
 * and return `response` (Deno's API); the SDK turns that response into the `101` head. Any other
 * response refuses the upgrade as a plain HTTP answer. Lower level: acceptWebSocket(exchange).
 * broadcast() sends one message to many sockets with one `ws` reply per frontend.
 */
import type { Exchange } from "../exchange.js";
import type { ExchangeOwner } from "../exchange-owner.js";
import type { HeaderPair, Target } from "../../protocol/index.js";
import { exchangeOf } from "../fetch/lazy-request.js";
import { requestUrl } from "../fetch/to-request.js";
import { FerryWebSocket, payloadOf, type WebSocketData } from "./socket.js";

export interface UpgradeOptions {
  /** The subprotocol to accept; it must be one the client offered (Sec-WebSocket-Protocol). */
  protocol?: string;
}

/** Responses made by upgradeWebSocket(), with the socket each one opens when returned. */
const upgrades = new WeakMap<Response, FerryWebSocket>();

/** The subprotocols a request offers, in its order. */
export function offeredProtocols(ex: Exchange): string[] {
  const out: string[] = [];
  for (const [name, value] of ex.request.headers) {
    if (name !== "sec-websocket-protocol") continue;
    for (const p of value.split(",")) if (p.trim() !== "") out.push(p.trim());
  }
  return out;
}

/** Whether a request is a WebSocket handshake the frontend can complete. */
export function isWebSocketRequest(request: Request): boolean {
  return exchangeOf(request)?.request.upgrade === "websocket";
}

function socketFor(ex: Exchange, options: UpgradeOptions): FerryWebSocket {
  if (ex.request.upgrade !== "websocket")
    throw new TypeError(
      "not a WebSocket upgrade request (no `upgrade: websocket` from the frontend)",
    );
  const protocol = options.protocol ?? "";
  if (protocol !== "" && !offeredProtocols(ex).includes(protocol))
    throw new TypeError(`the client did not offer the subprotocol "${protocol}"`);
  const url = requestUrl(ex.request).replace(/^http/, "ws");
  return new FerryWebSocket(ex.owner, ex.fid, ex.conn, ex.req, ex.token, protocol, url);
}

/**
 * For a Fetch-style app: a socket, and the response to return to accept it. Headers added to
 * the response (set-cookie...) go out with the 101.
 */
export function upgradeWebSocket(
  request: Request,
  options: UpgradeOptions = {},
): { socket: FerryWebSocket; response: Response } {
  const ex = exchangeOf(request);
  if (ex === undefined)
    throw new TypeError("upgradeWebSocket() needs the Request the handler gave the app");
  const socket = socketFor(ex, options);
  const response = new Response(null, { status: 200 });
  upgrades.set(response, socket);
  return { socket, response };
}

/** The socket a response returned by the app opens, if it came from upgradeWebSocket(). */
export function upgradeOf(response: Response): FerryWebSocket | undefined {
  return upgrades.get(response);
}

/**
 * Accept the upgrade now: the 101 goes out (with `headers`), and the socket opens. For apps that
 * hold the Exchange (Node-style apps: `contextOf(req).exchange`).
 */
export function acceptWebSocket(
  ex: Exchange,
  options: UpgradeOptions = {},
  headers: HeaderPair[] = [],
): FerryWebSocket {
  const socket = socketFor(ex, options);
  open(ex, socket, headers);
  return socket;
}

/** Send the 101 for a socket made for this exchange, and open it once the head is out. */
export function open(ex: Exchange, socket: FerryWebSocket, headers: HeaderPair[]): void {
  if (socket.req !== ex.req || socket.fid !== ex.fid)
    throw new TypeError("the upgrade response belongs to another request");
  if (ex.aborted || ex.finished) {
    socket.closed(1006, "", false);
    return;
  }
  const head: HeaderPair[] = headers.filter(([name]) => name !== "sec-websocket-protocol");
  if (socket.protocol !== "") head.push(["sec-websocket-protocol", socket.protocol]);
  // In the table before the 101 leaves, so the client's first message finds it.
  ex.owner.websockets.add(socket);
  ex.writeHead(101, head);
  ex.end();
  // Listeners the app attaches after returning the response still see `open`.
  setImmediate(() => socket.opened());
}

/**
 * One message to many sockets: one `ws` reply per (connection, frontend), however many sockets
 * it reaches there. Sockets that are not open are skipped. Returns how many were addressed.
 */
export function broadcast(sockets: Iterable<FerryWebSocket>, data: WebSocketData): number {
  const { bytes, binary } = payloadOf(data);
  const groups = new Map<ExchangeOwner, Map<string, Target[]>>();
  let n = 0;
  for (const ws of sockets) {
    if (ws.readyState !== 1) continue;
    let byFid = groups.get(ws.owner);
    if (!byFid) groups.set(ws.owner, (byFid = new Map()));
    let to = byFid.get(ws.fid);
    if (!to) byFid.set(ws.fid, (to = []));
    to.push(ws.target);
    n++;
  }
  for (const [owner, byFid] of groups)
    for (const [fid, to] of byFid) owner.writer.ws(owner.hid, fid, to, bytes, binary);
  return n;
}
