/**
 * The frontend's view of one handler group's sockets. Only transport/zmq.ts knows ZeroMQ; the
 * rest of the frontend (and every unit test, via transport/memory.ts) talks to this interface.
 *
 * Per group the frontend BINDS three sockets: PUSH `requests` (load-balanced to handlers),
 * SUB `replies` (topic = frontend id or "*"), PUB `events` (topic = handler id or "*").
 * A requests message is 1..1,024 frames, one request payload each (protocol v2 batches).
 */

/** Where one group's three sockets bind (ZeroMQ endpoints: `tcp://host:port`, `ipc://path`). */
export interface GroupEndpoints {
  readonly requests: string;
  readonly replies: string;
  readonly events: string;
}

export interface GroupSocketOptions {
  /**
   * High-water mark of the requests socket (messages per handler pipe). Small, so a busy handler
   * stops receiving work and requests wait in the frontend's bounded queue instead.
   */
  readonly sendHighWaterMark: number;
  /** Topics the replies socket subscribes to (the frontend id and "*"). */
  readonly subscribe: readonly string[];
  /**
   * Told how many handlers are connected to the requests socket (0 once at open, then at every
   * connect and disconnect), for groups whose handlers announce nothing (mongrel2).
   */
  readonly onPeers?: (peers: number) => void;
}

/**
 * Receives every message that arrives on the replies socket, as raw frames. Called synchronously
 * for each message of a batch; it must not throw (malformed input is the receiver's to count).
 */
export type FramesSink = (frames: readonly Buffer[]) => void;

/**
 * Told how each `send()` went, with the payload (a batch's first one) and tag it was given: `sent`
 * false when ZeroMQ refused the message (no peer, or every pipe at its high-water mark). Called
 * from a microtask, in send order.
 */
export type SendSink = (payload: Buffer, tag: object, sent: boolean) => void;

/** What `send()` and `trySend()` take: one payload, or a batch of them as one multi-frame message. */
export type RequestFrames = Buffer | readonly Buffer[];

/**
 * A peer of the requests socket disconnected (a handler process died or closed its PULL): what
 * sat in its pipe is lost, and the group re-sends what may have been there.
 */
export type PeerGoneSink = () => void;

/** One group's bound sockets. */
export interface GroupSockets {
  /**
   * Hand one requests message (1..1,024 payloads, one frame each) to the requests socket without
   * waiting. Returns false, keeping nothing, when no connected handler can take it now (no peer,
   * or every pipe at its high-water mark): the caller queues the requests and tries again later.
   */
  trySend(payloads: RequestFrames): boolean;
  /**
   * Hand one requests message over without first asking whether a pipe has room (asking costs a
   * system call per message). How it went is told to the `settled` sink given to start(), with
   * `tag`; a refused one the caller queues as if trySend had said no.
   */
  send(payloads: RequestFrames, tag: object): void;
  /** Publish a two-frame event `[topic, payload]`. Never blocks: PUB drops past its HWM. */
  publish(topic: string, payload: Buffer): void;
  /**
   * Start the receive loop; `sink` gets every message from the replies socket, `settled` the
   * outcome of every send() (without it, refusals count as send errors), `peerGone` every
   * disconnect of a requests-socket peer. Call once.
   */
  start(sink: FramesSink, settled?: SendSink, peerGone?: PeerGoneSink): void;
  /** Counters of the socket layer (send failures and the like), for metrics. */
  readonly stats: TransportStats;
  /** Close the three sockets. Queued outgoing events get `lingerMs` to leave. */
  close(lingerMs?: number): Promise<void>;
}

export interface TransportStats {
  /**
   * Sends the socket layer refused after trySend accepted them, or for another reason than room
   * (should stay 0).
   */
  sendErrors: number;
  /** Receive-loop failures other than the socket closing. */
  receiveErrors: number;
}

/** Opens groups' sockets. `zmqTransport` in production, `MemoryTransport` in unit tests. */
export interface Transport {
  open(endpoints: GroupEndpoints, options: GroupSocketOptions): Promise<GroupSockets>;
}
