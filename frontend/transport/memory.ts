/**
 * An in-memory transport for unit tests: requests and events are recorded, replies are injected
 * with `deliver()`. `capacity` simulates handlers at their high-water mark.
 */
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

export class MemoryGroupSockets implements GroupSockets {
  readonly stats: TransportStats = { sendErrors: 0, receiveErrors: 0 };
  /** Request payloads handed over, in order (every payload of every message). */
  readonly sent: Buffer[] = [];
  /** Requests messages handed over, in order: each is the payloads of one multi-frame message. */
  readonly messages: (readonly Buffer[])[] = [];
  /** Events published, in order. */
  readonly published: Array<{ topic: string; payload: Buffer }> = [];
  /** How many more requests messages trySend accepts (Infinity = no back-pressure). */
  capacity = Number.POSITIVE_INFINITY;
  closed = false;
  private sink: FramesSink | undefined;
  private settled: SendSink | undefined;
  private peerGone: PeerGoneSink | undefined;

  constructor(
    readonly endpoints: GroupEndpoints,
    readonly options: GroupSocketOptions,
  ) {}

  trySend(payloads: RequestFrames): boolean {
    if (this.closed || this.capacity <= 0) return false;
    this.capacity--;
    const frames = Buffer.isBuffer(payloads) ? [payloads] : payloads;
    this.messages.push(frames);
    this.sent.push(...frames);
    return true;
  }

  /** As trySend, but the outcome is told later, from a microtask, as ZeroMQ's is. */
  send(payloads: RequestFrames, tag: object): void {
    const sent = this.trySend(payloads);
    const first = Buffer.isBuffer(payloads) ? payloads : payloads[0]!;
    queueMicrotask(() => {
      if (this.settled) this.settled(first, tag, sent);
      else if (!sent) this.stats.sendErrors++;
    });
  }

  publish(topic: string, payload: Buffer): void {
    if (!this.closed) this.published.push({ topic, payload });
  }

  start(sink: FramesSink, settled?: SendSink, peerGone?: PeerGoneSink): void {
    this.sink = sink;
    this.settled = settled;
    this.peerGone = peerGone;
  }

  /** As if a handler's PULL connection dropped. */
  disconnectPeer(): void {
    this.peerGone?.();
  }

  /** Deliver a message as if it arrived on the replies socket (only subscribed topics pass). */
  deliver(frames: readonly Buffer[]): void {
    const topic = frames[0]?.toString("utf8") ?? "";
    if (!this.options.subscribe.some((t) => topic.startsWith(t))) return;
    this.sink?.(frames);
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}

export class MemoryTransport implements Transport {
  readonly groups: MemoryGroupSockets[] = [];

  async open(endpoints: GroupEndpoints, options: GroupSocketOptions): Promise<GroupSockets> {
    const sockets = new MemoryGroupSockets(endpoints, options);
    this.groups.push(sockets);
    return sockets;
  }
}
