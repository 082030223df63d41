/**
 * The SDK's mongrel2 mode: a Transport that lets the unchanged HandlerConnection (and so the same
 * serve(app)) run behind a real Mongrel2 server. Underneath, a ZeroMQ PULL connects to each
 * server's send_spec and a PUB to its recv_spec (the events socket has nothing to connect to).
 *
 * Requests: a Mongrel2 frame becomes a Ferry `request` (fid = the server's UUID, conn = its
 * connection id, req = a counter of ours); its `@*` disconnect notice a Ferry `disconnect`.
 * Replies: Ferry messages are turned into raw HTTP by one M2ReplyWriter per server UUID (status
 * line, Content-Length or chunked coding, HEAD, error pages) and published as one frame.
 * Ferry-only messages (hello, heartbeat, claim, goodbye, credit) have no Mongrel2 form: dropped.
 */
import { readFile } from "node:fs/promises";
import {
  decodeToFrontend,
  encodeToHandler,
  isProtocolError,
  type RequestMsg,
} from "../../protocol/index.js";
import {
  M2ReplyWriter,
  decodeM2Request,
  m2EventOf,
  type M2Request,
} from "../../protocol/mongrel2/index.js";
import { ZmqTransport } from "../transport/zmq.js";
import type { Transport, TransportSink } from "../transport/types.js";

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
}

export class Mongrel2Transport implements Transport {
  private readonly inner: Transport;
  private readonly writers = new Map<string, M2ReplyWriter>();
  private readonly group: string;
  private nextReq = 1;

  constructor(servers: readonly Mongrel2Endpoints[], options: Mongrel2TransportOptions = {}) {
    this.group = options.group ?? "mongrel2";
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
        this.deliver(event.request, sink);
        return;
      case "disconnect":
        this.writer(m2.uuid).forget(m2.id);
        sink.event(encodeToHandler(event.message));
        return;
      case "upload":
        // Mongrel2 spooled a large body to a file (limits.content_length): deliver it when done.
        if (event.stage === "done") void this.deliverUpload(event.request, event.file, sink);
        return;
      case "websocket-handshake":
        this.writer(m2.uuid).begin(m2.id, event.request);
        this.reply(m2.uuid, m2.id, 501, "WebSockets are not supported in the SDK's mongrel2 mode");
        return;
      default:
        sink.malformed(
          "requests",
          `mongrel2 ${event.type} message: not supported in mongrel2 mode`,
        );
    }
  }

  private deliver(request: RequestMsg, sink: TransportSink): void {
    this.writer(request.fid).begin(request.conn, request);
    sink.request(encodeToHandler(request));
  }

  private async deliverUpload(
    request: RequestMsg,
    file: string,
    sink: TransportSink,
  ): Promise<void> {
    let body: Buffer;
    try {
      body = await readFile(file);
    } catch (err) {
      sink.malformed("requests", `upload file ${file}: ${String(err)}`);
      this.writer(request.fid).begin(request.conn, request);
      this.reply(request.fid, request.conn, 500, "upload file unreadable");
      return;
    }
    this.deliver({ ...request, body }, sink);
  }

  private reply(uuid: string, conn: number, status: number, message: string): void {
    const frames = this.writer(uuid).encode({
      v: 2,
      kind: "error",
      hid: "mongrel2",
      to: [[conn, 0, 0]],
      code: "UNSUPPORTED",
      message,
      status,
    });
    for (const f of frames) this.inner.publish("", f);
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
        for (const frame of this.writer(topic).encode(msg)) this.inner.publish("", frame);
        return;
      default:
        return; // hello, heartbeat, claim, goodbye, credit: Mongrel2 has no such messages
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
