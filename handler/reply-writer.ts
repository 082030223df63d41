/**
 * Encodes handler -> frontend messages and publishes each under its frontend id. Every message
 * is encoded once, however many connections it addresses. Shared by the connection (replies to
 * its own requests) and the Replier (replies from any process).
 */
import {
  encodeToFrontend,
  Limits,
  TOPIC_ALL,
  type HeaderPair,
  type Target,
} from "../protocol/index.js";

export type PublishFn = (topic: string, payload: Buffer) => void;

const EMPTY = new Uint8Array(0);

export type BodyInit = Uint8Array | string;

/** A string's UTF-8 bytes (a small one lands in Node's shared pool: no allocation of its own). */
export function toBytes(body: BodyInit | undefined): Uint8Array {
  if (body === undefined) return EMPTY;
  return typeof body === "string" ? Buffer.from(body, "utf8") : body;
}

/**
 * A reason phrase the wire can carry, or undefined. Past its byte limit, or with a lone
 * surrogate (no UTF-8 form), it is left out: the frontend then writes the standard phrase, and
 * the app gets no error. (The frontend also checks that it is a valid HTTP reason-phrase.)
 */
export function wireReason(reason: string | undefined): string | undefined {
  if (typeof reason !== "string" || reason === "") return undefined;
  if (reason.length * 3 > Limits.maxReason && Buffer.byteLength(reason) > Limits.maxReason)
    return undefined;
  if (!(reason as string & { isWellFormed(): boolean }).isWellFormed()) return undefined;
  return reason;
}

/** What a handler says about itself in hello, heartbeat and goodbye. */
export interface HandlerIdentity {
  readonly hid: string;
  /** Random per process: the frontends bind `hid` to it (nobody else can speak for us). */
  readonly secret: Uint8Array;
}

export class ReplyWriter {
  constructor(private readonly publish: PublishFn) {}

  /** Status and headers; `reason`: the app's reason phrase, if it set one. */
  head(
    hid: string,
    fid: string,
    to: Target[],
    status: number,
    headers: HeaderPair[],
    body?: Uint8Array,
    end?: boolean,
    reason?: string,
  ): void {
    const phrase = wireReason(reason);
    const msg =
      body !== undefined && body.length > 0
        ? {
            kind: "head" as const,
            hid,
            to,
            status,
            reason: phrase,
            headers,
            body,
            end: end || undefined,
          }
        : {
            kind: "head" as const,
            hid,
            to,
            status,
            reason: phrase,
            headers,
            end: end || undefined,
          };
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

  /** Claim one request: `target` is its [conn, req, token]. */
  claim(hid: string, fid: string, target: Target): void {
    const [conn, req, token] = target;
    this.publish(fid, encodeToFrontend({ kind: "claim", hid, conn, req, token }));
  }

  /** Grant `bytes` more of one request's streamed body. */
  credit(hid: string, fid: string, target: Target, bytes: number): void {
    const [conn, req, token] = target;
    this.publish(fid, encodeToFrontend({ kind: "credit", hid, conn, req, token, bytes }));
  }

  /** `batch`: the most requests this handler takes from one PUSH message. */
  hello(
    kind: "hello" | "heartbeat",
    self: HandlerIdentity,
    capacity: number,
    inflight: number,
    interval: number,
    batch: number,
    agent: string,
  ): void {
    const { hid, secret } = self;
    this.publish(
      TOPIC_ALL,
      encodeToFrontend({ kind, hid, secret, capacity, inflight, interval, batch, agent }),
    );
  }

  goodbye(self: HandlerIdentity, inflight: number): void {
    const { hid, secret } = self;
    this.publish(TOPIC_ALL, encodeToFrontend({ kind: "goodbye", hid, secret, inflight }));
  }
}
