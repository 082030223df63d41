/**
 * The ZeroMQ transport: the only frontend file that imports zeromq.
 *
 * Hot-path choices: sends use sendTimeout 0, so zeromq.js takes its synchronous path (no poller,
 * never "busy"); a refused send surfaces through one shared rejection handler, not a closure per
 * message. `send()` skips the `writable` check (a getsockopt that polls the socket's mailbox, a
 * system call per message): zeromq.js settles each send's promise at once, so the settlements
 * arrive in send order and a FIFO of what is in flight tells which payload a refusal was for.
 * Receives keep exactly one pending receive() per socket; when messages are queued, zeromq.js
 * resolves synchronously, so a burst is drained in one pass.
 *
 * The replies SUB caps what one frame may be (ZMQ_MAXMSGSIZE): a larger one drops that peer's
 * connection instead of being buffered. The requests PUSH is watched by a socket monitor, so a
 * handler that dies is noticed when its connection closes, not a heartbeat window later.
 */
import { Context, Publisher, Push, Router, Subscriber } from "zeromq";
import { Limits } from "../../protocol/index.js";
import type { FrontendCurve } from "../curve.js";
import { ZAP_ENDPOINT, ZapAuthenticator } from "../zap.js";
import { countPeers } from "./peer-count.js";
import type {
  FramesSink,
  GroupEndpoints,
  PeerGoneSink,
  RequestFrames,
  SendSink,
  GroupSocketOptions,
  GroupSockets,
  Transport,
  TransportStats,
} from "./types.js";

/** A send after close: refused like one at the high-water mark (the group is stopping). */
const CLOSED = Object.assign(new Error("socket closed"), { code: "EAGAIN" });

/** One payload goes as a plain frame (zeromq.js's fastest path), a batch as a multi-frame message. */
const frames = (payloads: RequestFrames): Buffer | Buffer[] =>
  Buffer.isBuffer(payloads)
    ? payloads
    : payloads.length === 1
      ? payloads[0]!
      : (payloads as Buffer[]);

class ZmqGroupSockets implements GroupSockets {
  readonly stats: TransportStats = { sendErrors: 0, receiveErrors: 0 };
  private closed = false;
  private readonly onSendError = (): void => {
    this.stats.sendErrors++;
  };
  /** send() payloads and tags whose promises have not settled yet, oldest first from `head`. */
  private readonly unsettled: Array<Buffer | object | undefined> = [];
  private head = 0;
  private settled: SendSink | undefined;
  private readonly onSent = (): void => {
    const payload = this.unsettled[this.head] as Buffer;
    const tag = this.unsettled[this.head + 1] as object;
    this.shift();
    this.settled?.(payload, tag, true);
  };
  private readonly onRefused = (err: unknown): void => {
    const payload = this.unsettled[this.head] as Buffer;
    const tag = this.unsettled[this.head + 1] as object;
    this.shift();
    if (this.settled !== undefined && (err as { code?: unknown }).code === "EAGAIN")
      this.settled(payload, tag, false);
    else this.stats.sendErrors++;
  };
  /**
   * Requests-socket peers that completed their handshake and have not disconnected since. A
   * disconnect counts as a handler gone only while this is positive, so a peer refused during its
   * handshake (wrong CURVE key, not ZMTP) does not look like a handler that died.
   */
  private peers = 0;

  constructor(
    private readonly push: Push,
    private readonly sub: Subscriber,
    private readonly pub: Publisher,
  ) {}

  trySend(payloads: RequestFrames): boolean {
    if (this.closed || !this.push.writable) return false;
    this.push.send(frames(payloads)).then(undefined, this.onSendError);
    return true;
  }

  send(payloads: readonly Buffer[], tag: object): void {
    const sent = this.closed ? Promise.reject(CLOSED) : this.push.send(frames(payloads));
    this.unsettled.push(payloads, tag);
    sent.then(this.onSent, this.onRefused);
  }

  private shift(): void {
    const q = this.unsettled;
    q[this.head] = q[this.head + 1] = undefined;
    this.head += 2;
    if (this.head === q.length) {
      q.length = 0;
      this.head = 0;
    }
  }

  publish(topic: string, payload: Buffer): void {
    if (this.closed) return;
    this.pub.send([topic, payload]).then(undefined, this.onSendError);
  }

  start(sink: FramesSink, settled?: SendSink, peerGone?: PeerGoneSink): void {
    this.settled = settled;
    if (peerGone !== undefined) this.watchPeers(peerGone);
    void this.receiveLoop(sink);
  }

  private watchPeers(peerGone: PeerGoneSink): void {
    const events = this.push.events;
    events.on("handshake", () => {
      this.peers++;
    });
    events.on("disconnect", () => {
      if (this.closed || this.peers === 0) return;
      this.peers--;
      peerGone();
    });
  }

  private async receiveLoop(sink: FramesSink): Promise<void> {
    while (!this.closed) {
      let frames: Buffer[];
      try {
        frames = await this.sub.receive();
      } catch {
        if (this.closed || this.sub.closed) return;
        this.stats.receiveErrors++;
        continue;
      }
      sink(frames);
    }
  }

  async close(lingerMs = 200): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.pub.linger = lingerMs;
    this.push.linger = 0;
    this.sub.linger = 0;
    this.push.close();
    this.sub.close();
    this.pub.close();
  }
}

/** CURVE server options; a fresh object per socket (zeromq.js consumes `context` from it). */
type Secure = () => { context?: Context; curveServer?: boolean; curveSecretKey?: string };
const plain: Secure = () => ({});

async function openGroup(
  endpoints: GroupEndpoints,
  options: GroupSocketOptions,
  secure: Secure = plain,
): Promise<GroupSockets> {
  const push = new Push({
    ...secure(),
    sendHighWaterMark: options.sendHighWaterMark,
    sendTimeout: 0,
    linger: 0,
  });
  const sub = new Subscriber({ ...secure(), linger: 0, maxMessageSize: Limits.maxMessageBytes });
  const pub = new Publisher({ ...secure(), sendTimeout: 0, linger: 200 });
  // Before bind: a handler already retrying would be accepted at once, unseen.
  if (options.onPeers) countPeers(push.events, options.onPeers);
  try {
    await push.bind(endpoints.requests);
    await sub.bind(endpoints.replies);
    await pub.bind(endpoints.events);
  } catch (err) {
    push.close();
    sub.close();
    pub.close();
    throw err;
  }
  for (const topic of options.subscribe) sub.subscribe(topic);
  return new ZmqGroupSockets(push, sub, pub);
}

export const zmqTransport: Transport = {
  open: (endpoints, options) => openGroup(endpoints, options),
};

/** A transport whose link sockets are CURVE servers that admit only the allowed handler keys. */
export interface CurveZmqTransport extends Transport {
  /** Emits `allowed` / `denied` for every handler that tries to connect. */
  readonly authenticator: ZapAuthenticator;
  /** Close the ZAP socket (after the groups' sockets). */
  close(): void;
}

/**
 * The ZAP handler must be bound before any link socket, in the same ZeroMQ context, and a
 * context holds one: so each CURVE transport has its own context.
 */
export function curveZmqTransport(curve: FrontendCurve): CurveZmqTransport {
  const context = new Context();
  const authenticator = new ZapAuthenticator(curve.allow);
  const zap = new Router({ context, linger: 0 });
  const ready = zap.bind(ZAP_ENDPOINT).then(() => {
    void authenticator.serve(zap);
  });
  const secure: Secure = () => ({ context, curveServer: true, curveSecretKey: curve.secretKey });
  return {
    authenticator,
    async open(endpoints, options) {
      await ready;
      return openGroup(endpoints, options, secure);
    },
    close: () => zap.close(),
  };
}
