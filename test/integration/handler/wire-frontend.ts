/**
 * Plays a frontend on the wire for the SDK's integration tests: binds PUSH (requests), SUB
 * (replies) and PUB (events) like a frontend, with zeromq and protocol/ only.
 */
import { Publisher, Push, Subscriber } from "zeromq";
import { randomBytes, randomInt } from "node:crypto";
import {
  decodeToFrontend,
  encodeToHandler,
  type Draft,
  type HeaderPair,
  type RequestMsg,
  type ToFrontendMsg,
  type ToHandlerMsg,
} from "../../../protocol/index.js";
import type { FrontendEndpoints } from "../../../handler/index.js";

/** What a pushed request is answered by: [conn, req, token] and its parts. */
export interface Pushed {
  conn: number;
  req: number;
  token: number;
  target: [number, number, number];
}

interface RequestOptions {
  body?: Uint8Array;
  headers?: HeaderPair[];
  window?: number;
  conn?: number;
  port?: number;
  /** The body follows as `body` events (after a claim and credit). */
  stream?: boolean;
  length?: number;
}

export class WireFrontend {
  readonly fid = `wire-${randomBytes(4).toString("hex")}`;
  readonly received: ToFrontendMsg[] = [];
  /** Every message received on SUB: its topic and how many payloads it held. */
  readonly messages: Array<{ topic: string; payloads: number }> = [];
  private readonly push = new Push({ linger: 0, sendHighWaterMark: 1000 });
  private readonly sub = new Subscriber({ linger: 0 });
  private readonly pub = new Publisher({ linger: 0 });
  private listeners = new Set<() => void>();
  private nextId = 1;
  private closed = false;

  private constructor(readonly endpoints: FrontendEndpoints) {}

  static async bind(endpoints: FrontendEndpoints): Promise<WireFrontend> {
    const f = new WireFrontend(endpoints);
    f.sub.subscribe(f.fid, "*");
    // A restarted frontend may bind where the last one was a moment ago.
    for (let i = 0; ; i++) {
      try {
        await f.push.bind(endpoints.requests);
        await f.sub.bind(endpoints.replies);
        await f.pub.bind(endpoints.events);
        break;
      } catch (err) {
        if (i > 50) throw err;
        await new Promise((r) => setTimeout(r, 20));
      }
    }
    void f.receive();
    return f;
  }

  private async receive(): Promise<void> {
    while (!this.closed) {
      let frames: Buffer[];
      try {
        frames = await this.sub.receive();
      } catch {
        return;
      }
      if (frames.length < 2) continue;
      this.messages.push({ topic: frames[0]!.toString(), payloads: frames.length - 1 });
      for (const payload of frames.slice(1)) this.received.push(decodeToFrontend(payload));
      for (const l of [...this.listeners]) l();
    }
  }

  /** Resolves with the first received message (from now on or already received) matching. */
  waitFor<T extends ToFrontendMsg>(
    pred: (m: ToFrontendMsg) => m is T,
    timeoutMs?: number,
  ): Promise<T>;
  waitFor(pred: (m: ToFrontendMsg) => boolean, timeoutMs?: number): Promise<ToFrontendMsg>;
  waitFor(pred: (m: ToFrontendMsg) => boolean, timeoutMs = 5000): Promise<ToFrontendMsg> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const found = this.received.find(pred);
        if (!found) return;
        cleanup();
        resolve(found);
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(
          new Error(`timed out; received: ${JSON.stringify(this.received.map((m) => m.kind))}`),
        );
      }, timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        this.listeners.delete(check);
      };
      this.listeners.add(check);
      check();
    });
  }

  /** Waits for a hello or heartbeat (the handler is live) and returns its handler id. */
  async handlerLive(timeoutMs = 5000): Promise<string> {
    const m = await this.waitFor((x) => x.kind === "hello" || x.kind === "heartbeat", timeoutMs);
    return (m as { hid: string }).hid;
  }

  /** Pushes a request; returns its address. */
  async request(method: string, target: string, options: RequestOptions = {}): Promise<Pushed> {
    const [pushed, payload] = this.requestPayload(method, target, options);
    await this.push.send(payload);
    return pushed;
  }

  /** Pushes several requests in ONE message (a v2 batch); returns their addresses. */
  async requests(list: Array<[method: string, target: string]>): Promise<Pushed[]> {
    const made = list.map(([method, target]) => this.requestPayload(method, target));
    await this.push.send(made.map(([, payload]) => payload));
    return made.map(([pushed]) => pushed);
  }

  private requestPayload(method: string, target: string, options: RequestOptions = {}) {
    const req = this.nextId++;
    const conn = options.conn ?? req;
    const token = randomInt(2 ** 47) * 64 + 63; // random, and past 2^32 nearly always
    const q = target.indexOf("?");
    const msg: Draft<RequestMsg> = {
      kind: "request",
      fid: this.fid,
      conn,
      req,
      token,
      method,
      target,
      path: q < 0 ? target : target.slice(0, q),
      query: q < 0 ? "" : target.slice(q + 1),
      version: "HTTP/1.1",
      headers: options.headers ?? [["host", "test.local"]],
      remote: "127.0.0.1",
      rport: 40000,
      port: options.port ?? 6767,
      scheme: "http",
      host: "test.local",
      route: "",
      group: "default",
      body: options.body,
      window: options.window,
      stream: options.stream,
      length: options.length,
    };
    const pushed: Pushed = { conn, req, token, target: [conn, req, token] };
    return [pushed, encodeToHandler(msg)] as const;
  }

  async event(topic: string, msg: Draft<ToHandlerMsg>): Promise<void> {
    await this.pub.send([topic, encodeToHandler(msg)]);
  }

  /** Several events in ONE message under `topic`; a Buffer is sent as it is. */
  async events(topic: string, msgs: Array<Draft<ToHandlerMsg> | Buffer>): Promise<void> {
    await this.pub.send([topic, ...msgs.map((m) => (Buffer.isBuffer(m) ? m : encodeToHandler(m)))]);
  }

  /** Pushes raw frames as one message (malformed input). */
  async pushRaw(frames: Buffer[]): Promise<void> {
    await this.push.send(frames);
  }

  /** Every reply message addressed to `req`, in arrival order. */
  repliesFor(req: number): ToFrontendMsg[] {
    return this.received.filter((m) => "to" in m && m.to.some(([, r]) => r === req));
  }

  /** Resolves once the response to `req` is complete; returns status, headers and body. */
  async response(
    req: number,
    timeoutMs = 5000,
  ): Promise<{ status: number; headers: HeaderPair[]; body: Buffer; messages: ToFrontendMsg[] }> {
    await this.waitFor(
      (m) =>
        "to" in m &&
        m.to.some(([, r]) => r === req) &&
        (m.kind === "end" ||
          m.kind === "close" ||
          m.kind === "error" ||
          ((m.kind === "head" || m.kind === "data") && m.end === true)),
      timeoutMs,
    );
    const messages = this.repliesFor(req);
    const head = messages.find((m) => m.kind === "head");
    const chunks: Buffer[] = [];
    for (const m of messages) {
      if (m.kind === "head" && m.body) chunks.push(Buffer.from(m.body));
      if (m.kind === "data") chunks.push(Buffer.from(m.data));
    }
    return {
      status: head?.kind === "head" ? head.status : 0,
      headers: head?.kind === "head" ? head.headers : [],
      body: Buffer.concat(chunks),
      messages,
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    this.push.close();
    this.sub.close();
    this.pub.close();
  }
}
