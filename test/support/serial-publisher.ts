/**
 * The replies side of a protocol-level handler (the test handlers, the bench's minimal handler):
 * messages to the frontend, sent in order on one PUB socket. zeromq.js allows one pending send per
 * socket, so what is sent meanwhile waits in a queue; protocol messages queued back to back under
 * one topic leave as one multi-frame message (a protocol v2 batch, at most 1,024 payloads), so
 * every test that makes a handler answer a burst also exercises the frontend's batch receive.
 */
import { encodeToFrontend, Limits, type Draft, type ToFrontendMsg } from "../../protocol/index.js";

export interface SerialPublisher {
  /** One protocol message under `topic` (a frontend id, or "*" for every frontend). */
  send(topic: string, msg: Draft<ToFrontendMsg>): void;
  /** Frames exactly as given: for tests that send the frontend malformed messages. */
  sendRaw(frames: Array<string | Buffer>): void;
}

interface Queued {
  readonly frames: Array<string | Buffer>;
  /** False for sendRaw: sent alone, exactly as given. */
  readonly batchable: boolean;
}

/** A PUB or XPUB socket (zeromq.js's send of a multi-frame message). */
export interface FrameSender {
  send(frames: Array<string | Buffer>): Promise<void>;
}

export function serialPublisher(pub: FrameSender): SerialPublisher {
  const queue: Queued[] = [];
  let sending = false;
  async function pump(): Promise<void> {
    if (sending) return;
    sending = true;
    while (queue.length > 0) {
      const first = queue.shift()!;
      const frames = first.frames;
      while (
        first.batchable &&
        frames.length <= Limits.maxBatch &&
        queue[0]?.batchable === true &&
        queue[0].frames[0] === frames[0]
      ) {
        frames.push(queue.shift()!.frames[1]!);
      }
      await pub.send(frames);
    }
    sending = false;
  }
  const push = (item: Queued): void => {
    queue.push(item);
    void pump();
  };
  return {
    sendRaw: (frames) => push({ frames, batchable: false }),
    send: (topic, msg) => push({ frames: [topic, encodeToFrontend(msg)], batchable: true }),
  };
}
