/**
 * Plays a frontend on the wire for the SDK's integration tests: binds PUSH (requests), SUB
 * (replies) and PUB (events) like a frontend, with zeromq and protocol/ only.
 */
import { Publisher, Push, Subscriber } from "zeromq";
import { randomBytes } from "node:crypto";
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

export class WireFrontend {
  readonly fid = `wire-${randomBytes(4).toString("hex")}`;
  readonly received: ToFrontendMsg[] = [];
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
      const payload = frames[1];
      if (!payload) continue;
      this.received.push(decodeToFrontend(payload));
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

  /** Pushes a request; returns its [conn, req]. */
  async request(
    method: string,
    target: string,
    options: { body?: Uint8Array; headers?: HeaderPair[]; window?: number; conn?: number } = {},
  ): Promise<{ conn: number; req: number }> {
    const req = this.nextId++;
    const conn = options.conn ?? req;
    const q = target.indexOf("?");
    const msg: Draft<RequestMsg> = {
      kind: "request",
      fid: this.fid,
      conn,
      req,
      method,
      target,
      path: q < 0 ? target : target.slice(0, q),
      query: q < 0 ? "" : target.slice(q + 1),
      version: "HTTP/1.1",
      headers: options.headers ?? [["host", "test.local"]],
      remote: "127.0.0.1",
      rport: 40000,
      scheme: "http",
      host: "test.local",
      route: "",
      group: "default",
      body: options.body,
      window: options.window,
    };
    await this.push.send(encodeToHandler(msg));
    return { conn, req };
  }

  async event(topic: string, msg: Draft<ToHandlerMsg>): Promise<void> {
    await this.pub.send([topic, encodeToHandler(msg)]);
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
