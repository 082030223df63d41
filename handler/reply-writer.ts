/**
 * Encodes handler -> frontend messages and publishes each under its frontend id. Every message
 * is encoded once, however many connections it addresses. Shared by the connection (replies to
 * its own requests) and the Replier (replies from any process).
 */
import { encodeToFrontend, TOPIC_ALL, type HeaderPair, type Target } from "../protocol/index.js";

export type PublishFn = (topic: string, payload: Buffer) => void;

const EMPTY = new Uint8Array(0);
const utf8 = new TextEncoder();

export type BodyInit = Uint8Array | string;

export function toBytes(body: BodyInit | undefined): Uint8Array {
  if (body === undefined) return EMPTY;
  return typeof body === "string" ? utf8.encode(body) : body;
}

export class ReplyWriter {
  constructor(private readonly publish: PublishFn) {}

  head(
    hid: string,
    fid: string,
    to: Target[],
    status: number,
    headers: HeaderPair[],
    body?: Uint8Array,
    end?: boolean,
  ): void {
    const msg =
      body !== undefined && body.length > 0
        ? { kind: "head" as const, hid, to, status, headers, body, end: end || undefined }
        : { kind: "head" as const, hid, to, status, headers, end: end || undefined };
    this.publish(fid, encodeToFrontend(msg));
  }

  data(hid: string, fid: string, to: Target[], data: Uint8Array, end?: boolean): void {
    this.publish(fid, encodeToFrontend({ kind: "data", hid, to, data, end: end || undefined }));
  }

  end(hid: string, fid: string, to: Target[]): void {
    this.publish(fid, encodeToFrontend({ kind: "end", hid, to }));
  }

  /** Close connections; for WebSockets, a close frame with `code` and `reason`. */
  close(hid: string, fid: string, to: Target[], code?: number, reason?: string): void {
    this.publish(fid, encodeToFrontend({ kind: "close", hid, to, code, reason }));
  }

  /** One WebSocket message to every socket in `to`. */
  ws(hid: string, fid: string, to: Target[], data: Uint8Array, binary: boolean): void {
    this.publish(fid, encodeToFrontend({ kind: "ws", hid, to, data, binary }));
  }

  error(
    hid: string,
    fid: string,
    to: Target[],
    code: string,
    message: string,
    status?: number,
  ): void {
    this.publish(fid, encodeToFrontend({ kind: "error", hid, to, code, message, status }));
  }

  claim(hid: string, fid: string, conn: number, req: number): void {
    this.publish(fid, encodeToFrontend({ kind: "claim", hid, conn, req }));
  }

  credit(hid: string, fid: string, conn: number, req: number, bytes: number): void {
    this.publish(fid, encodeToFrontend({ kind: "credit", hid, conn, req, bytes }));
  }

  hello(
    kind: "hello" | "heartbeat",
    hid: string,
    capacity: number,
    inflight: number,
    interval: number,
    agent: string,
  ): void {
    this.publish(TOPIC_ALL, encodeToFrontend({ kind, hid, capacity, inflight, interval, agent }));
  }

  goodbye(hid: string, inflight: number): void {
    this.publish(TOPIC_ALL, encodeToFrontend({ kind: "goodbye", hid, inflight }));
  }
}
