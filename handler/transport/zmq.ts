/**
 * The ZeroMQ transport: the only file of the SDK that imports zeromq. A handler connects PULL
 * (requests), XPUB (replies: an XPUB so it sees each frontend subscribe, and can say hello at
 * once, also after a frontend restarts) and SUB (events, topics = handler id and "*").
 * ZeroMQ reconnects by itself; there is one pending receive per socket.
 * Protocol v2 batches: a PULL message is 1..1,024 requests, a SUB message a topic and 1..1,024
 * events; the sink gets them one payload at a time, in order.
 */
import * as zmq from "zeromq";
import { Limits, topicIsFor } from "../../protocol/index.js";
import type { HandlerCurve } from "../curve.js";
import { PublishQueue } from "./publish-queue.js";
import type { FrontendEndpoints, Publisher, Transport, TransportSink } from "./types.js";

/**
 * Messages a replies socket holds per frontend before send() waits (never drops: noDrop). High,
 * so that a frontend that pauses reading for a moment never makes replies wait here.
 */
export const REPLY_HWM = 1_000_000;

function newPublisher(): zmq.XPublisher {
  const pub = new zmq.XPublisher({
    // Pipes only to connected frontends: a frontend that goes away unsubscribes (its requests
    // can be let go), and nothing piles up for one that is not there.
    immediate: true,
    noDrop: true,
    sendHighWaterMark: REPLY_HWM,
    linger: 2000,
    reconnectInterval: 100,
    reconnectMaxInterval: 1000,
  });
  pub.verbosity = "allSubsUnsubs";
  return pub;
}

/** CURVE client options (set before connecting), when the frontends require CURVE. */
function secure(socket: zmq.Socket, curve: HandlerCurve | undefined): void {
  if (!curve) return;
  socket.curveServerKey = curve.serverKey;
  socket.curvePublicKey = curve.publicKey;
  socket.curveSecretKey = curve.secretKey;
}

/** Subscriptions arrive on an XPUB as `\x01topic` (subscribe) or `\x00topic` (unsubscribe). */
async function watchSubscriptions(
  pub: zmq.XPublisher,
  onChange: (topic: string, subscribed: boolean) => void,
): Promise<void> {
  for (;;) {
    let frames: Buffer[];
    try {
      frames = await pub.receive();
    } catch {
      return; // closed
    }
    const frame = frames[0];
    if (!frame || frame.length < 1) continue;
    onChange(frame.toString("utf8", 1), frame[0] === 1);
  }
}

/**
 * Sends one message of the publish queue. An empty topic (mongrel2 mode) means the Mongrel2 reply
 * format: every payload is a message of one frame.
 */
function sender(pub: zmq.XPublisher): (topic: string, payloads: Buffer[]) => Promise<void> {
  return async (topic, payloads) => {
    if (topic !== "") return pub.send([topic, ...payloads]);
    for (const p of payloads) await pub.send(p);
  };
}

export class ZmqTransport implements Transport {
  private readonly pull = new zmq.Pull({
    receiveHighWaterMark: 2,
    // Past it ZeroMQ drops the peer's connection before the frame is held in memory.
    maxMessageSize: Limits.maxMessageBytes,
    linger: 0,
    reconnectInterval: 100,
    reconnectMaxInterval: 1000,
  });
  private readonly pub = newPublisher();
  private readonly sub = new zmq.Subscriber({
    maxMessageSize: Limits.maxMessageBytes,
    linger: 0,
    reconnectInterval: 100,
    reconnectMaxInterval: 1000,
  });
  private readonly queue: PublishQueue;
  private paused = false;
  private resume: (() => void) | undefined;
  private requestsStopped = false;
  private stopping = false;
  private closed = false;

  constructor(
    private readonly frontends: readonly FrontendEndpoints[],
    onSendError: (err: unknown) => void = () => {},
    curve?: HandlerCurve,
  ) {
    for (const socket of [this.pull, this.pub, this.sub]) secure(socket, curve);
    this.queue = new PublishQueue(sender(this.pub), onSendError);
  }

  get queuedBytes(): number {
    return this.queue.queuedBytes;
  }

  start(hid: string, sink: TransportSink): void {
    this.sub.subscribe(hid, "*");
    for (const f of this.frontends) {
      this.pub.connect(f.replies);
      this.sub.connect(f.events);
      this.pull.connect(f.requests);
    }
    void watchSubscriptions(this.pub, (topic, on) => {
      if (topic === "*") return;
      if (on) sink.peer(topic);
      else sink.gone?.(topic);
    });
    void this.receiveRequests(sink);
    void this.receiveEvents(hid, sink);
  }

  publish(topic: string, payload: Buffer): void {
    this.queue.push(topic, payload);
  }

  whenBelow(bytes: number): Promise<void> {
    return this.queue.whenBelow(bytes);
  }

  pauseRequests(): void {
    this.paused = true;
  }

  resumeRequests(): void {
    this.paused = false;
    const r = this.resume;
    this.resume = undefined;
    r?.();
  }

  async stopRequests(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    // What was published before (the goodbye) reaches the socket before the requests pipe goes.
    await this.queue.flushed(2000);
    this.requestsStopped = true;
    for (const f of this.frontends) {
      try {
        this.pull.disconnect(f.requests);
      } catch {
        // not connected (yet): nothing to stop
      }
    }
    this.resumeRequests();
  }

  async close(lingerMs = 2000): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.requestsStopped = true;
    this.resumeRequests();
    await this.queue.flushed(lingerMs);
    this.queue.stop();
    this.pull.close();
    this.sub.close();
    this.pub.linger = lingerMs;
    this.pub.close();
  }

  private async receiveRequests(sink: TransportSink): Promise<void> {
    while (!this.closed && !this.requestsStopped) {
      if (this.paused) {
        await new Promise<void>((r) => (this.resume = r));
        continue;
      }
      let frames: Buffer[];
      try {
        frames = await this.pull.receive();
      } catch {
        if (this.closed || this.requestsStopped) return;
        continue;
      }
      // One request per frame, in order; too many and the whole message is dropped.
      if (frames.length > Limits.maxBatch)
        sink.malformed(
          "requests",
          `ERR_FRAMES: ${frames.length} requests, at most ${Limits.maxBatch}`,
        );
      else for (const frame of frames) sink.request(frame);
    }
  }

  private async receiveEvents(hid: string, sink: TransportSink): Promise<void> {
    while (!this.closed) {
      let frames: Buffer[];
      try {
        frames = await this.sub.receive();
      } catch {
        if (this.closed) return;
        continue;
      }
      // ZeroMQ matches topic prefixes: compare the whole topic.
      if (!topicIsFor(frames[0]!, hid)) continue;
      if (frames.length < 2 || frames.length > Limits.maxBatch + 1) {
        sink.malformed(
          "events",
          `ERR_FRAMES: ${frames.length} frames, expected [topic, payload x 1..${Limits.maxBatch}]`,
        );
        continue;
      }
      for (let i = 1; i < frames.length; i++) sink.event(frames[i]!);
    }
  }
}

/** Publish-only: what a Replier in any process needs to answer requests later. */
export class ZmqPublisher implements Publisher {
  private readonly pub = newPublisher();
  private readonly queue: PublishQueue;
  private readonly fids = new Set<string>();
  private readonly waiting = new Map<string, Array<() => void>>();

  constructor(
    replies: readonly string[],
    onSendError: (err: unknown) => void = () => {},
    curve?: HandlerCurve,
  ) {
    secure(this.pub, curve);
    this.queue = new PublishQueue(sender(this.pub), onSendError);
    for (const endpoint of replies) this.pub.connect(endpoint);
    void watchSubscriptions(this.pub, (topic, on) => {
      if (!on) {
        this.fids.delete(topic);
        return;
      }
      this.fids.add(topic);
      const list = this.waiting.get(topic);
      this.waiting.delete(topic);
      for (const w of list ?? []) w();
    });
  }

  publish(topic: string, payload: Buffer): void {
    this.queue.push(topic, payload);
  }

  subscribed(fid: string, timeoutMs: number): Promise<void> {
    if (this.fids.has(fid)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        const list = this.waiting.get(fid) ?? [];
        this.waiting.set(
          fid,
          list.filter((w) => w !== done),
        );
        reject(new Error(`frontend ${fid} did not subscribe within ${timeoutMs} ms`));
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        resolve();
      };
      const list = this.waiting.get(fid) ?? [];
      list.push(done);
      this.waiting.set(fid, list);
    });
  }

  async close(lingerMs = 2000): Promise<void> {
    await this.queue.flushed(lingerMs);
    this.queue.stop();
    this.pub.linger = lingerMs;
    this.pub.close();
  }
}
