/**
 * What the SDK needs from a message transport. handler/transport/zmq.ts implements it over
 * ZeroMQ; handler/transport/memory.ts in memory (unit tests). Nothing else touches sockets.
 */

/** The three endpoints of one frontend's handler group (the frontend binds them). */
export interface FrontendEndpoints {
  /** Frontend PUSH -> handler PULL: requests. */
  requests: string;
  /** Handler PUB -> frontend SUB: replies, hello, heartbeat, claim, goodbye. */
  replies: string;
  /** Frontend PUB -> handler SUB: disconnect, cancel, credit, body, ws. */
  events: string;
}

export interface TransportSink {
  /** One request payload (a PULL message of exactly one frame). */
  request(payload: Buffer): void;
  /** One event payload whose topic was exactly the handler id or "*". */
  event(payload: Buffer): void;
  /** A frontend subscribed to this handler's replies (new, or restarted): say hello now. */
  peer(topic: string): void;
  /** That frontend unsubscribed (it stopped or restarted): its requests can no longer be answered. */
  gone?(topic: string): void;
  /** A message with the wrong frame count or topic: counted by the caller, then dropped. */
  malformed(source: "requests" | "events", reason: string): void;
}

export interface Transport {
  /** Connect to every frontend and start receiving; events for `hid` and "*" only. */
  start(hid: string, sink: TransportSink): void;
  /** Queue `[topic, payload]` on the replies socket; sent in order. */
  publish(topic: string, payload: Buffer): void;
  /** Bytes queued by publish() and not yet handed to the socket. */
  readonly queuedBytes: number;
  /** Resolves once queuedBytes is below `bytes`. */
  whenBelow(bytes: number): Promise<void>;
  /** Stop taking requests (at the concurrency limit); messages already queued stay queued. */
  pauseRequests(): void;
  resumeRequests(): void;
  /** Draining: take what is already queued for us, then disconnect the requests socket. */
  stopRequests(): Promise<void>;
  /** Send what is queued (up to `lingerMs`), then close every socket. */
  close(lingerMs?: number): Promise<void>;
}

/** A publish-only transport: what a Replier needs (the replies endpoints only). */
export interface Publisher {
  publish(topic: string, payload: Buffer): void;
  /** Resolves when a frontend with id `fid` has subscribed (or rejects after `timeoutMs`). */
  subscribed(fid: string, timeoutMs: number): Promise<void>;
  close(lingerMs?: number): Promise<void>;
}
