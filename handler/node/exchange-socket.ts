/**
 * The Duplex a Node `http.Server` sees as the client's socket for one request (Node documents
 * that 'connection' accepts any Duplex). Readable side: the request bytes. Writable side: what
 * ServerResponse writes, parsed back into head and body for the Exchange. Write callbacks wait
 * for flow-control credit, so `res.write()` returns false and 'drain' comes later, as on TCP.
 */
import { Duplex } from "node:stream";
import type { Exchange } from "../exchange.js";
import { localPortOf } from "../fetch/request-url.js";
import { writeNodeHead } from "./head-reason.js";
import { ResponseParser } from "./response-parser.js";

export class ExchangeSocket extends Duplex {
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly remoteFamily: string;
  /**
   * The frontend's listening address is not in the request message: the loopback address of
   * the client's family stands in for it. The local port is the listener's (protocol v2 `port`).
   */
  readonly localAddress: string;
  readonly localPort: number;
  /** Set for https requests, as on a TLSSocket (Express's req.protocol reads it). */
  readonly encrypted: boolean | undefined;
  readonly #response: ResponseParser;
  #canWrite = true;
  #readWaiter: (() => void) | undefined;

  constructor(readonly exchange: Exchange) {
    super({ allowHalfOpen: true });
    const msg = exchange.request;
    this.remoteAddress = msg.remote;
    this.remotePort = msg.rport;
    this.remoteFamily = msg.remote.includes(":") ? "IPv6" : "IPv4";
    this.localAddress = msg.remote.startsWith("::ffff:")
      ? "::ffff:127.0.0.1"
      : this.remoteFamily === "IPv6"
        ? "::1"
        : "127.0.0.1";
    this.localPort = localPortOf(msg) ?? 0;
    if (msg.scheme === "https") this.encrypted = true;
    this.#response = new ResponseParser(
      (status, headers, lengthless, reason) =>
        writeNodeHead(exchange, status, headers, lengthless, reason),
      (chunk) => {
        this.#canWrite = exchange.write(chunk);
      },
    );
  }

  /** The request's reader wants more bytes (after `push()` returned false). */
  override _read(): void {
    this.#wakeReader();
  }

  /** Resolves when the app reads again, or the socket is destroyed. */
  readWanted(): Promise<void> {
    return new Promise((resolve) => (this.#readWaiter = resolve));
  }

  override _destroy(err: Error | null, callback: (err?: Error | null) => void): void {
    this.#wakeReader();
    callback(err);
  }

  #wakeReader(): void {
    const w = this.#readWaiter;
    this.#readWaiter = undefined;
    w?.();
  }

  override _write(
    chunk: Buffer,
    _encoding: BufferEncoding,
    callback: (err?: Error | null) => void,
  ): void {
    this.#canWrite = true;
    this.#response.push(chunk);
    if (this.#canWrite || this.exchange.aborted) callback();
    else this.exchange.writable().then(() => callback(), callback);
  }

  override _final(callback: (err?: Error | null) => void): void {
    callback();
  }

  // net.Socket methods http.Server may call; nothing to tune on an in-memory stream.
  setTimeout(): this {
    return this;
  }
  setNoDelay(): this {
    return this;
  }
  setKeepAlive(): this {
    return this;
  }
  ref(): this {
    return this;
  }
  unref(): this {
    return this;
  }
  address(): { address: string; family: string; port: number } {
    return { address: this.localAddress, family: this.remoteFamily, port: this.localPort };
  }
}
