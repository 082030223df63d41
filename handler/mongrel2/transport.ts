/**
 * The SDK's mongrel2 mode: a Transport that lets the unchanged HandlerConnection (and so the same
 * serve(app)) run behind a real Mongrel2 server. Underneath, a ZeroMQ PULL connects to each
 * server's send_spec and a PUB to its recv_spec (the events socket has nothing to connect to).
 *
 * Requests: a Mongrel2 frame becomes a Ferry `request` (fid = the server's UUID, conn = its
 * connection id, req = a counter of ours); its `@*` disconnect notice a Ferry `disconnect`.
 * Requests on one connection go to the app one at a time, in order (request-order.ts): Mongrel2
 * replies name connections only, so a pipelined request waits until the response before it has
 * ended, and a reply to any other request than the connection's current one is dropped.
 * Replies: Ferry messages are turned into raw HTTP by one M2ReplyWriter per server UUID (status
 * line, Content-Length or chunked coding, HEAD, error pages) and published as one frame.
 * Ferry-only messages (hello, heartbeat, claim, goodbye, credit) have no Mongrel2 form: dropped.
 */
import {
  decodeToFrontend,
  encodeToHandler,
  isProtocolError,
  type ReplyMsg,
  type RequestMsg,
} from "../../protocol/index.js";
import {
  M2ReplyWriter,
  decodeM2Request,
  m2EventOf,
  m2Header,
  type M2Request,
} from "../../protocol/mongrel2/index.js";
import { ZmqTransport } from "../transport/zmq.js";
import type { Transport, TransportSink } from "../transport/types.js";
import { RequestOrder, type M2Turn } from "./request-order.js";
import { deleteSpooled, readSpooled } from "./spooled-upload.js";

/** One Mongrel2 server's handler sockets, as in its mongrel2.conf `Handler(...)`. */
export interface Mongrel2Endpoints {
  /** Mongrel2's `send_spec`: it binds PUSH there, we connect PULL. */
  sendSpec: string;
  /** Mongrel2's `recv_spec`: it binds SUB there, we connect PUB. */
  recvSpec: string;
}

export interface Mongrel2TransportOptions {
  /** Group name to put in requests (Mongrel2 has none). Default "mongrel2". */
  group?: string;
  /** Errors of the socket layer. */
  onSendError?: (err: unknown) => void;
  /** Carry frames on this transport instead of ZeroMQ (tests). An empty topic = one frame. */
  inner?: Transport;
  /**
   * The directory Mongrel2 chroots to (its `chroot`, from where it was started), when it runs
   * chrooted: the paths of spooled uploads are relative to it. Default: none.
   */
  chroot?: string;
}

export class Mongrel2Transport implements Transport {
  private readonly inner: Transport;
  private readonly writers = new Map<string, M2ReplyWriter>();
  private readonly group: string;
  private readonly chroot: string | undefined;
  private readonly order = new RequestOrder();
  /** `uuid conn` -> the file Mongrel2 is spooling a body to (upload-start, no -done yet). */
  private readonly spooling = new Map<string, string>();
  private sink: TransportSink | undefined;
  private nextReq = 1;

  constructor(servers: readonly Mongrel2Endpoints[], options: Mongrel2TransportOptions = {}) {
    this.group = options.group ?? "mongrel2";
    this.chroot = options.chroot;
    // Mongrel2 has no events socket; the SUB connects to an inproc name nothing binds.
    const frontends = servers.map((s, i) => ({
      requests: s.sendSpec,
      replies: s.recvSpec,
      events: `inproc://ferry-mongrel2-no-events-${process.pid}-${i}`,
    }));
    this.inner = options.inner ?? new ZmqTransport(frontends, options.onSendError);
  }

  get queuedBytes(): number {
    return this.inner.queuedBytes;
  }

  start(hid: string, sink: TransportSink): void {
    this.sink = sink;
    this.inner.start(hid, {
      request: (frame) => this.onFrame(frame, sink),
      event: () => {},
      // Mongrel2 wants no hello; a subscription is not a frontend id either.
      peer: () => {},
      malformed: (source, reason) => sink.malformed(source, reason),
    });
  }

  private writer(uuid: string): M2ReplyWriter {
    let w = this.writers.get(uuid);
    if (w === undefined) this.writers.set(uuid, (w = new M2ReplyWriter(uuid)));
    return w;
  }

  private onFrame(frame: Buffer, sink: TransportSink): void {
    let m2: M2Request;
    try {
      m2 = decodeM2Request(frame);
    } catch (err) {
      sink.malformed(
        "requests",
        isProtocolError(err) ? `${err.code}: ${err.message}` : String(err),
      );
      return;
    }
    const event = m2EventOf(m2, { req: this.nextReq++, group: this.group });
    switch (event.type) {
      case "request":
        if (m2Header(m2.headers, "UPLOAD_STREAM") !== undefined) {
          // upload.stream: the body would come in pieces the app never sees whole.
          const message = "streamed uploads (upload.stream) are not supported in mongrel2 mode";
          return this.queue(m2.uuid, { ...REFUSE, request: event.request, status: 413, message });
        }
        return this.queue(m2.uuid, { type: "request", request: event.request });
      case "disconnect":
        this.connectionGone(m2.uuid, m2.id);
        sink.event(encodeToHandler(event.message));
        return;
      case "upload": {
        // Mongrel2 spooled a large body to a file (limits.content_length): deliver it when done.
        const key = `${m2.uuid} ${m2.id}`;
        if (event.stage === "start") return void this.spooling.set(key, event.file);
        this.spooling.delete(key);
        return this.queue(m2.uuid, { type: "upload", request: event.request, file: event.file });
      }
      case "websocket-handshake": {
        const message = "WebSockets are not supported in the SDK's mongrel2 mode";
        return this.queue(m2.uuid, { ...REFUSE, request: event.request, status: 501, message });
      }
      default:
        sink.malformed(
          "requests",
          `mongrel2 ${event.type} message: not supported in mongrel2 mode`,
        );
    }
  }

  private queue(uuid: string, turn: M2Turn): void {
    const now = this.order.add(uuid, turn);
    if (now !== undefined) this.begin(uuid, now);
  }

  /** The request's turn has come: hand it to the app (or answer it here). */
  private begin(uuid: string, turn: M2Turn): void {
    const { request } = turn;
    this.writer(uuid).begin(request.conn, request);
    switch (turn.type) {
      case "request":
        this.sink!.request(encodeToHandler(request));
        return;
      case "refuse":
        this.reply(request, turn.status, turn.message);
        return;
      case "upload":
        readSpooled(turn.file, this.chroot).then(
          (body) => {
            if (this.order.current(uuid, request.conn) !== turn) return; // client gone meanwhile
            this.sink!.request(encodeToHandler({ ...request, body }));
          },
          (err: unknown) => {
            if (this.order.current(uuid, request.conn) !== turn) return;
            this.sink!.malformed("requests", `upload file ${turn.file}: ${String(err)}`);
            this.reply(request, 500, "upload file unreadable");
          },
        );
        return;
    }
  }

  /** The response to the connection's current request has ended: the next one's turn. */
  private finish(uuid: string, conn: number): void {
    const { done, next } = this.order.finish(uuid, conn);
    if (done?.type === "upload") void deleteSpooled(done.file, this.chroot);
    // Not from inside this publish: the app's reply to the next request must follow this one.
    if (next !== undefined)
      queueMicrotask(() => {
        if (this.order.current(uuid, conn) === next) this.begin(uuid, next);
      });
  }

  private connectionGone(uuid: string, conn: number): void {
    for (const turn of this.order.drop(uuid, conn))
      if (turn.type === "upload") void deleteSpooled(turn.file, this.chroot);
    const key = `${uuid} ${conn}`;
    const spooling = this.spooling.get(key);
    if (spooling !== undefined) {
      this.spooling.delete(key);
      void deleteSpooled(spooling, this.chroot);
    }
    this.writer(uuid).forget(conn);
  }

  /** Answer the current request of a connection here, with an error page. */
  private reply(request: RequestMsg, status: number, message: string): void {
    this.send(request.fid, {
      v: 2,
      kind: "error",
      hid: "mongrel2",
      to: [[request.conn, request.req, 0]],
      code: "UNSUPPORTED",
      message,
      status,
    });
  }

  /** A Ferry message from the HandlerConnection: its Mongrel2 reply frames, if it has any. */
  publish(topic: string, payload: Buffer): void {
    let msg;
    try {
      msg = decodeToFrontend(payload);
    } catch {
      return; // our own encoder wrote it: cannot happen
    }
    switch (msg.kind) {
      case "head":
      case "data":
      case "end":
      case "close":
      case "error":
      case "ws":
        this.send(topic, msg);
        return;
      default:
        return; // hello, heartbeat, claim, goodbye, credit: Mongrel2 has no such messages
    }
  }

  /** Reply frames for the targets whose request is their connection's current one. */
  private send(uuid: string, msg: ReplyMsg): void {
    // A reply to a request that is finished (or to one still waiting its turn) would land on
    // another request of the same connection: dropped.
    const to = msg.to.filter(([conn, req]) => this.order.isCurrent(uuid, conn, req));
    if (to.length === 0) return;
    const frames = this.writer(uuid).encode(to.length === msg.to.length ? msg : { ...msg, to });
    for (const frame of frames) this.inner.publish("", frame);
    if (msg.kind === "close") {
      // The connection closes: what waits behind it will never be answered.
      for (const [conn] of to) this.connectionGone(uuid, conn);
    } else if (endsResponse(msg)) {
      for (const [conn] of to) this.finish(uuid, conn);
    }
  }

  whenBelow(bytes: number): Promise<void> {
    return this.inner.whenBelow(bytes);
  }

  pauseRequests(): void {
    this.inner.pauseRequests();
  }

  resumeRequests(): void {
    this.inner.resumeRequests();
  }

  stopRequests(): Promise<void> {
    return this.inner.stopRequests();
  }

  close(lingerMs?: number): Promise<void> {
    return this.inner.close(lingerMs);
  }
}

const REFUSE = { type: "refuse" } as const;

/** Whether a reply completes its response (a 101 starts a WebSocket instead). */
function endsResponse(msg: ReplyMsg): boolean {
  switch (msg.kind) {
    case "head":
      return msg.end === true && msg.status !== 101;
    case "data":
      return msg.end === true;
    case "end":
    case "error":
      return true;
    default:
      return false;
  }
}
