/**
 * The ZeroMQ transport: the only frontend file that imports zeromq.
 *
 * Hot-path choices: sends use sendTimeout 0, so zeromq.js takes its synchronous path (no poller,
 * never "busy"); a refused send surfaces through one shared rejection handler, not a closure per
 * message. Receives keep exactly one pending receive() per socket; when messages are queued,
 * zeromq.js resolves synchronously, so a burst is drained in one pass.
 */
import { Publisher, Push, Subscriber } from "zeromq";
import type {
  FramesSink,
  GroupEndpoints,
  GroupSocketOptions,
  GroupSockets,
  Transport,
  TransportStats,
} from "./types.js";

class ZmqGroupSockets implements GroupSockets {
  readonly stats: TransportStats = { sendErrors: 0, receiveErrors: 0 };
  private closed = false;
  private readonly onSendError = (): void => {
    this.stats.sendErrors++;
  };

  constructor(
    private readonly push: Push,
    private readonly sub: Subscriber,
    private readonly pub: Publisher,
  ) {}

  trySend(payload: Buffer): boolean {
    if (this.closed || !this.push.writable) return false;
    this.push.send(payload).then(undefined, this.onSendError);
    return true;
  }

  publish(topic: string, payload: Buffer): void {
    if (this.closed) return;
    this.pub.send([topic, payload]).then(undefined, this.onSendError);
  }

  start(sink: FramesSink): void {
    void this.receiveLoop(sink);
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

async function openGroup(
  endpoints: GroupEndpoints,
  options: GroupSocketOptions,
): Promise<GroupSockets> {
  const push = new Push({
    sendHighWaterMark: options.sendHighWaterMark,
    sendTimeout: 0,
    linger: 0,
  });
  const sub = new Subscriber({ linger: 0 });
  const pub = new Publisher({ sendTimeout: 0, linger: 200 });
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

export const zmqTransport: Transport = { open: openGroup };
