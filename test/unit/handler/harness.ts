/** Drives a HandlerConnection over the in-memory transport: the test plays the frontend. */
import { afterEach } from "vitest";
import {
  decodeToFrontend,
  encodeToHandler,
  type Draft,
  type RequestMsg,
  type ToFrontendMsg,
  type ToHandlerMsg,
} from "../../../protocol/index.js";
import {
  MemoryTransport,
  serve,
  type HandlerConnection,
  type ServeOptions,
} from "../../../handler/index.js";

export const FID = "front-1";

/** The token this harness gives request `req`: past 2^32, so it travels as a uint64. */
export function tokenFor(req: number): number {
  return 2 ** 40 + req * 7919;
}

/** The reply target of request `req` (conn = req in this harness). */
export function targetOf(req: number): [number, number, number] {
  return [req, req, tokenFor(req)];
}

export class Harness {
  readonly transport = new MemoryTransport();
  readonly connection: HandlerConnection;
  private next = 1;

  constructor(app: unknown, options: Omit<ServeOptions, "transport"> = {}) {
    this.connection = serve(app, { ...options, transport: this.transport });
  }

  get messages(): ToFrontendMsg[] {
    return this.transport.published.map((p) => decodeToFrontend(p.payload));
  }

  /** Messages about request `req` (replies addressed to it, and claims). */
  about(req: number): ToFrontendMsg[] {
    return this.messages.filter(
      (m) =>
        ("to" in m && m.to.some(([, r]) => r === req)) || (m.kind === "claim" && m.req === req),
    );
  }

  request(method: string, target: string, extra: Partial<Draft<RequestMsg>> = {}): number {
    const [req, payload] = this.requestPayload(method, target, extra);
    this.transport.request(payload);
    return req;
  }

  /** Several requests in ONE message (a v2 batch); returns their request ids. */
  batch(...requests: Array<[method: string, target: string]>): number[] {
    const made = requests.map(([method, target]) => this.requestPayload(method, target));
    this.transport.requests(made.map(([, payload]) => payload));
    return made.map(([req]) => req);
  }

  requestPayload(
    method: string,
    target: string,
    extra: Partial<Draft<RequestMsg>> = {},
  ): [number, Buffer] {
    const req = this.next++;
    const q = target.indexOf("?");
    const payload = encodeToHandler({
      kind: "request",
      fid: FID,
      conn: req,
      req,
      token: tokenFor(req),
      method,
      target,
      path: q < 0 ? target : target.slice(0, q),
      query: q < 0 ? "" : target.slice(q + 1),
      version: "HTTP/1.1",
      headers: [["host", "example.test"]],
      remote: "10.0.0.1",
      rport: 5555,
      port: 6767,
      scheme: "http",
      host: "example.test",
      route: "",
      group: "default",
      ...extra,
    } as Draft<RequestMsg>);
    return [req, payload];
  }

  event(msg: Draft<ToHandlerMsg>, topic = this.connection.hid): void {
    this.transport.event(topic, encodeToHandler(msg));
  }

  /** Resolves once the response to `req` is complete. */
  async done(req: number): Promise<ToFrontendMsg[]> {
    const finished = (m: ToFrontendMsg) =>
      m.kind === "end" ||
      m.kind === "close" ||
      m.kind === "error" ||
      ((m.kind === "head" || m.kind === "data") && m.end === true);
    await this.transport.waitFor(() => this.about(req).some(finished));
    return this.about(req);
  }

  body(messages: ToFrontendMsg[]): string {
    let out = "";
    for (const m of messages) {
      if (m.kind === "head" && m.body) out += Buffer.from(m.body).toString();
      if (m.kind === "data") out += Buffer.from(m.data).toString();
    }
    return out;
  }
}

/**
 * A Harness maker for one test file (call it at the file's top level): every harness it makes
 * is closed after each test.
 */
export function harnessMaker(): (
  app: unknown,
  options?: Omit<ServeOptions, "transport">,
) => Harness {
  const open: Harness[] = [];
  afterEach(async () => {
    for (const h of open.splice(0)) await h.connection.close();
  });
  return (app, options = {}) => {
    const h = new Harness(app, options);
    open.push(h);
    return h;
  };
}
