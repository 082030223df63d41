/**
 * An in-memory transport for unit tests: requests and events are recorded, replies are injected
 * with `deliver()`. `capacity` simulates handlers at their high-water mark.
 */
import type {
  FramesSink,
  GroupEndpoints,
  SendSink,
  GroupSocketOptions,
  GroupSockets,
  Transport,
  TransportStats,
} from "./types.js";

export class MemoryGroupSockets implements GroupSockets {
  readonly stats: TransportStats = { sendErrors: 0, receiveErrors: 0 };
  /** Request payloads handed to trySend, in order. */
  readonly sent: Buffer[] = [];
  /** Events published, in order. */
  readonly published: Array<{ topic: string; payload: Buffer }> = [];
  /** How many more requests trySend accepts (Infinity = no back-pressure). */
  capacity = Number.POSITIVE_INFINITY;
  closed = false;
  private sink: FramesSink | undefined;
  private settled: SendSink | undefined;

  constructor(
    readonly endpoints: GroupEndpoints,
    readonly options: GroupSocketOptions,
  ) {}

  trySend(payload: Buffer): boolean {
    if (this.closed || this.capacity <= 0) return false;
    this.capacity--;
    this.sent.push(payload);
    return true;
  }

  /** As trySend, but the outcome is told later, from a microtask, as ZeroMQ's is. */
  send(payload: Buffer, tag: object): void {
    const sent = this.trySend(payload);
    queueMicrotask(() => {
      if (this.settled) this.settled(payload, tag, sent);
      else if (!sent) this.stats.sendErrors++;
    });
  }

  publish(topic: string, payload: Buffer): void {
    if (!this.closed) this.published.push({ topic, payload });
  }

  start(sink: FramesSink, settled?: SendSink): void {
    this.sink = sink;
    this.settled = settled;
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
