/**
 * A WebSocket the handler accepted, shaped like the browser's (and Deno's) WebSocket: readyState,
 * protocol, binaryType, send(), close(), and open/message/close/error events (also as on*
 * properties). The frontend does the framing; this object turns `ws`/`disconnect` events into
 * events and send()/close() into `ws`/`close` replies addressed to [conn, req, token].
 */
import type { Target } from "../../protocol/index.js";
import type { ExchangeOwner } from "../exchange-owner.js";

export type WebSocketData = string | ArrayBuffer | ArrayBufferView;
type Handler<E extends Event> = ((this: FerryWebSocket, event: E) => unknown) | null;

const utf8 = new TextEncoder();
const text = new TextDecoder("utf-8");

/** Node 20 has no global CloseEvent; this one has the same fields. */
export class WebSocketCloseEvent extends Event {
  readonly code: number;
  readonly reason: string;
  readonly wasClean: boolean;
  constructor(type: string, init: { code?: number; reason?: string; wasClean?: boolean } = {}) {
    super(type);
    this.code = init.code ?? 0;
    this.reason = init.reason ?? "";
    this.wasClean = init.wasClean ?? false;
  }
}

/** Bytes and text-or-binary of what send() was given. */
export function payloadOf(data: WebSocketData): { bytes: Uint8Array; binary: boolean } {
  if (typeof data === "string") return { bytes: utf8.encode(data), binary: false };
  if (data instanceof ArrayBuffer) return { bytes: new Uint8Array(data), binary: true };
  if (ArrayBuffer.isView(data))
    return { bytes: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), binary: true };
  throw new TypeError("send() takes a string, an ArrayBuffer or a typed array");
}

/**
 * Codes a close frame may carry (RFC 6455 section 7.4): a server may send 1001 (going away),
 * 1008 (policy), 1011 (error) and others that a browser's close() refuses.
 */
export function sendableCloseCode(code: number): boolean {
  if (!Number.isInteger(code)) return false;
  if (code >= 3000 && code <= 4999) return true;
  return code >= 1000 && code <= 1014 && code !== 1004 && code !== 1005 && code !== 1006;
}

/** How long to wait for the frontend to confirm a close before reporting it as 1006. */
const CLOSE_CONFIRM_MS = 10_000;

export class FerryWebSocket extends EventTarget {
  static readonly CONNECTING = 0;
  static readonly OPEN = 1;
  static readonly CLOSING = 2;
  static readonly CLOSED = 3;
  readonly CONNECTING = 0;
  readonly OPEN = 1;
  readonly CLOSING = 2;
  readonly CLOSED = 3;

  readyState: 0 | 1 | 2 | 3 = 0;
  /** How binary messages are given to `message` listeners. */
  binaryType: "arraybuffer" | "blob" = "arraybuffer";
  readonly extensions = "";
  /** Always 0: sent messages leave at once (the frontend bounds each client's buffer). */
  readonly bufferedAmount = 0;
  private closeTimer: NodeJS.Timeout | undefined;
  /** close() called before `open`: sent as soon as the socket is accepted. */
  private closeOnOpen: [code: number | undefined, reason: string | undefined] | undefined;
  /** Messages that arrived before `open` was dispatched; delivered right after it. */
  private early: Array<[Uint8Array, boolean]> | undefined = [];
  private readonly handlers = new Map<string, { fn: Handler<never>; listener: EventListener }>();

  constructor(
    /** The connection that accepted it: replies go out through it. */
    readonly owner: ExchangeOwner,
    readonly fid: string,
    readonly conn: number,
    readonly req: number,
    /** The upgrade request's token: every reply to the socket quotes it. */
    readonly token: number,
    /** The subprotocol accepted ("" for none). */
    readonly protocol: string,
    readonly url: string,
  ) {
    super();
  }

  // on* properties are listeners like any other, in the order they were set (as in browsers).
  get onopen(): Handler<Event> {
    return this.handler("open");
  }
  set onopen(fn: Handler<Event>) {
    this.setHandler("open", fn);
  }
  get onmessage(): Handler<MessageEvent> {
    return this.handler("message");
  }
  set onmessage(fn: Handler<MessageEvent>) {
    this.setHandler("message", fn);
  }
  get onclose(): Handler<WebSocketCloseEvent> {
    return this.handler("close");
  }
  set onclose(fn: Handler<WebSocketCloseEvent>) {
    this.setHandler("close", fn);
  }
  get onerror(): Handler<Event> {
    return this.handler("error");
  }
  set onerror(fn: Handler<Event>) {
    this.setHandler("error", fn);
  }

  private handler<E extends Event>(type: string): Handler<E> {
    return (this.handlers.get(type)?.fn ?? null) as Handler<E>;
  }

  private setHandler<E extends Event>(type: string, fn: Handler<E>): void {
    const old = this.handlers.get(type);
    if (old) this.removeEventListener(type, old.listener);
    this.handlers.delete(type);
    if (typeof fn !== "function") return;
    const listener = (event: Event) => fn.call(this, event as E);
    this.handlers.set(type, { fn: fn as Handler<never>, listener });
    this.addEventListener(type, listener);
  }

  /** Where this socket's messages are addressed (for broadcast()). */
  get target(): Target {
    return [this.conn, this.req, this.token];
  }

  send(data: WebSocketData): void {
    if (this.readyState === 0)
      throw new DOMException("the WebSocket is not open yet", "InvalidStateError");
    const { bytes, binary } = payloadOf(data);
    if (this.readyState !== 1) return;
    this.owner.writer.ws(this.owner.hid, this.fid, [this.target], bytes, binary);
  }

  close(code?: number, reason?: string): void {
    if (code !== undefined && !sendableCloseCode(code))
      throw new DOMException(`close code ${code} cannot be sent`, "InvalidAccessError");
    if (reason !== undefined && utf8.encode(reason).length > 123)
      throw new DOMException("a close reason is at most 123 bytes", "SyntaxError");
    if (this.readyState === 2 || this.readyState === 3) return;
    const wasConnecting = this.readyState === 0;
    this.readyState = 2;
    if (wasConnecting) {
      this.closeOnOpen = [code, reason];
      return;
    }
    this.sendClose(code, reason);
  }

  private sendClose(code: number | undefined, reason: string | undefined): void {
    this.owner.writer.close(this.owner.hid, this.fid, [this.target], code, reason);
    this.closeTimer = setTimeout(() => this.closed(1006, "", false), CLOSE_CONFIRM_MS);
    this.closeTimer.unref();
  }

  // ------------------------------------------------------------ driven by the connection

  /** The 101 went out. */
  opened(): void {
    if (this.closeOnOpen !== undefined) {
      const [code, reason] = this.closeOnOpen;
      this.closeOnOpen = undefined;
      this.sendClose(code, reason);
      return;
    }
    if (this.readyState !== 0) return;
    this.readyState = 1;
    this.dispatchEvent(new Event("open"));
    const early = this.early ?? [];
    this.early = undefined;
    for (const [data, binary] of early) this.received(data, binary);
  }

  /** A message from the client. */
  received(data: Uint8Array, binary: boolean): void {
    if (this.readyState === 0) this.early?.push([data, binary]);
    if (this.readyState !== 1) return;
    let value: string | ArrayBuffer | Blob;
    if (!binary) value = text.decode(data);
    else if (this.binaryType === "blob") value = new Blob([data as Uint8Array<ArrayBuffer>]);
    else
      value = data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength) as ArrayBuffer;
    this.dispatchEvent(new MessageEvent("message", { data: value }));
  }

  /** The socket is gone (client closed, frontend closed it, or the frontend is gone). */
  closed(code: number, reason: string, wasClean: boolean): void {
    if (this.readyState === 3) return;
    clearTimeout(this.closeTimer);
    this.readyState = 3;
    this.owner.websockets.delete(this);
    if (!wasClean) this.dispatchEvent(new Event("error"));
    this.dispatchEvent(new WebSocketCloseEvent("close", { code, reason, wasClean }));
  }
}
