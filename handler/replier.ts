/**
 * Answers requests later, from any process: it needs only the frontends' replies endpoints and
 * the ReplyAddress of each request (ctx.address, JSON-safe, passed along by any means). The
 * address's token is what lets this process answer: the frontend drops a target whose token is
 * not the request's. One call can address thousands of requests; each message is encoded once
 * per (frontend, handler). The handler that claimed a request must still be running: replies
 * carry its id.
 */
import type { HeaderPair, Target } from "../protocol/index.js";
import type { HandlerCurve } from "./curve.js";
import { HandlerError } from "./errors.js";
import type { ReplyAddress } from "./exchange.js";
import { ReplyWriter, toBytes, type BodyInit } from "./reply-writer.js";
import { ZmqPublisher } from "./transport/zmq.js";
import type { Publisher } from "./transport/types.js";

export interface ReplierOptions {
  /** Replies endpoints of the frontends (default tcp://127.0.0.1:9996). */
  replies?: string[];
  /** Use this publisher instead of ZeroMQ (tests). */
  publisher?: Publisher;
  /** How long to wait for a frontend to subscribe before failing. Default 5000 ms. */
  subscribeTimeoutMs?: number;
  /** CURVE keys when the frontends require CURVE. */
  curve?: HandlerCurve;
}

export interface SimpleResponse {
  status?: number;
  /** A reason phrase other than the standard one for `status`. */
  reason?: string;
  headers?: HeaderPair[] | Record<string, string>;
  body?: BodyInit;
}

type Group = { fid: string; hid: string; to: Target[] };

const isId = (n: unknown): boolean => Number.isSafeInteger(n) && (n as number) >= 0;

/** An address that came from elsewhere (JSON, another process) is checked before it is used. */
function checkAddress(a: ReplyAddress): void {
  if (
    typeof a !== "object" ||
    a === null ||
    typeof a.fid !== "string" ||
    typeof a.hid !== "string" ||
    !isId(a.conn) ||
    !isId(a.req) ||
    !isId(a.token)
  )
    throw new HandlerError(
      "ERR_ADDRESS",
      `not a reply address {fid, hid, conn, req, token}: ${JSON.stringify(a)?.slice(0, 200)}`,
    );
}

function groups(addresses: ReplyAddress | readonly ReplyAddress[]): Group[] {
  const list = Array.isArray(addresses) ? addresses : [addresses as ReplyAddress];
  const byKey = new Map<string, Group>();
  for (const a of list) {
    checkAddress(a);
    const key = `${a.fid}\n${a.hid}`;
    let g = byKey.get(key);
    if (!g) byKey.set(key, (g = { fid: a.fid, hid: a.hid, to: [] }));
    g.to.push([a.conn, a.req, a.token]);
  }
  return [...byKey.values()];
}

export function headerPairs(headers: SimpleResponse["headers"]): HeaderPair[] {
  if (!headers) return [];
  if (Array.isArray(headers)) return headers;
  return Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]);
}

export class Replier {
  private readonly publisher: Publisher;
  private readonly writer: ReplyWriter;
  private readonly timeoutMs: number;

  constructor(options: ReplierOptions = {}) {
    this.publisher =
      options.publisher ??
      new ZmqPublisher(options.replies ?? ["tcp://127.0.0.1:9996"], undefined, options.curve);
    this.writer = new ReplyWriter((topic, payload) => this.publisher.publish(topic, payload));
    this.timeoutMs = options.subscribeTimeoutMs ?? 5000;
  }

  /** A complete response (status, headers, body) to every address. */
  async reply(
    addresses: ReplyAddress | readonly ReplyAddress[],
    response: SimpleResponse,
  ): Promise<void> {
    const body = toBytes(response.body);
    const headers = headerPairs(response.headers);
    for (const g of await this.ready(addresses)) {
      this.writer.head(
        g.hid,
        g.fid,
        g.to,
        response.status ?? 200,
        headers,
        body,
        true,
        response.reason,
      );
    }
  }

  /** Status and headers only; the body follows with write() and end(). */
  async head(
    addresses: ReplyAddress | readonly ReplyAddress[],
    status: number,
    headers: SimpleResponse["headers"],
    reason?: string,
  ) {
    const pairs = headerPairs(headers);
    for (const g of await this.ready(addresses))
      this.writer.head(g.hid, g.fid, g.to, status, pairs, undefined, undefined, reason);
  }

  /** Body bytes to every address (server-sent events, streams); `end` finishes them. */
  async write(
    addresses: ReplyAddress | readonly ReplyAddress[],
    data: BodyInit,
    end = false,
  ): Promise<void> {
    const bytes = toBytes(data);
    for (const g of await this.ready(addresses)) this.writer.data(g.hid, g.fid, g.to, bytes, end);
  }

  async end(addresses: ReplyAddress | readonly ReplyAddress[]): Promise<void> {
    for (const g of await this.ready(addresses)) this.writer.end(g.hid, g.fid, g.to);
  }

  /** Close the connections (after what was sent). */
  async close(addresses: ReplyAddress | readonly ReplyAddress[]): Promise<void> {
    for (const g of await this.ready(addresses)) this.writer.close(g.hid, g.fid, g.to);
  }

  /** Send what is queued, then close the socket. */
  async shutdown(lingerMs = 2000): Promise<void> {
    await this.publisher.close(lingerMs);
  }

  /** Groups the addresses, once each of their frontends has subscribed (slow joiner). */
  private async ready(addresses: ReplyAddress | readonly ReplyAddress[]): Promise<Group[]> {
    const gs = groups(addresses);
    for (const fid of new Set(gs.map((g) => g.fid))) {
      try {
        await this.publisher.subscribed(fid, this.timeoutMs);
      } catch {
        throw new HandlerError(
          "ERR_NO_FRONTEND",
          `frontend ${fid} is not connected to this Replier`,
        );
      }
    }
    return gs;
  }
}
