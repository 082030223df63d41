/**
 * The replies side of a protocol-level handler (the test handlers, the bench's minimal handler):
 * messages to the frontend, sent in order on one PUB socket. zeromq.js allows one pending send per
 * socket, so what is sent meanwhile waits in a queue.
 */
import type { Publisher } from "zeromq";
import { encodeToFrontend, type Draft, type ToFrontendMsg } from "../../protocol/index.js";

export interface SerialPublisher {
  /** One protocol message under `topic` (a frontend id, or "*" for every frontend). */
  send(topic: string, msg: Draft<ToFrontendMsg>): void;
  /** Frames exactly as given: for tests that send the frontend malformed messages. */
  sendRaw(frames: Array<string | Buffer>): void;
}

export function serialPublisher(pub: Publisher): SerialPublisher {
  const queue: Array<Array<string | Buffer>> = [];
  let sending = false;
  async function pump(): Promise<void> {
    if (sending) return;
    sending = true;
    while (queue.length > 0) await pub.send(queue.shift()!);
    sending = false;
  }
  function sendRaw(frames: Array<string | Buffer>): void {
    queue.push(frames);
    void pump();
  }
  return { sendRaw, send: (topic, msg) => sendRaw([topic, encodeToFrontend(msg)]) };
}
