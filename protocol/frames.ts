/**
 * ZeroMQ framing of protocol v2. A PUSH/PULL message is 1..Limits.maxBatch frames, each one
 * msgpack payload. A PUB/SUB message is [topic, payload, payload, ...]: every payload is under that
 * one topic. SUB sockets match topics by prefix, so a receiver compares the topic frame exactly and
 * ignores messages for other topics (a frontend `web-1` also receives what is published for
 * `web-10`). A message with a bad frame count is rejected whole (ERR_FRAMES); otherwise each payload
 * decodes on its own, in order, and one invalid payload does not spoil the others.
 */
import { decodeToFrontend, decodeToHandler } from "./codec.js";
import { isProtocolError, ProtocolError, ProtocolErrorCode as E } from "./errors.js";
import { TOPIC_ALL } from "./kinds.js";
import { Limits } from "./limits.js";
import type { ToFrontendMsg, ToHandlerMsg } from "./types.js";

/** A PUB/SUB message split into its topic and its payloads. */
export interface TopicFrames {
  readonly topic: Uint8Array;
  readonly payloads: readonly Uint8Array[];
}

/** One payload of a message: the decoded message, or why it was dropped. */
export type Decoded<M> =
  { readonly ok: true; readonly msg: M } | { readonly ok: false; readonly error: ProtocolError };

/** The payloads of a PUSH/PULL message: 1..Limits.maxBatch frames. */
export function pushPayloads(frames: readonly Uint8Array[]): readonly Uint8Array[] {
  if (frames.length < 1 || frames.length > Limits.maxBatch) {
    throw new ProtocolError(
      E.Frames,
      `expected 1..${Limits.maxBatch} frames on PUSH/PULL, got ${frames.length}`,
    );
  }
  return frames;
}

/** The topic and payloads of a PUB/SUB message: 2..Limits.maxBatch+1 frames. */
export function splitTopicFrames(frames: readonly Uint8Array[]): TopicFrames {
  if (frames.length < 2 || frames.length > Limits.maxBatch + 1) {
    throw new ProtocolError(
      E.Frames,
      `expected [topic, payload x 1..${Limits.maxBatch}], got ${frames.length} frames`,
    );
  }
  return { topic: frames[0]!, payloads: frames.slice(1) };
}

const utf8 = new TextEncoder();
const topicCache = new Map<string, Uint8Array>();

function topicBytes(topic: string): Uint8Array {
  let bytes = topicCache.get(topic);
  if (!bytes) {
    bytes = utf8.encode(topic);
    if (topicCache.size < 64) topicCache.set(topic, bytes);
  }
  return bytes;
}

/** Whether a topic frame is exactly `topic` (UTF-8), not merely prefixed by it. */
export function topicIs(frame: Uint8Array, topic: string): boolean {
  const want = topicBytes(topic);
  if (frame.length !== want.length) return false;
  for (let i = 0; i < want.length; i++) if (frame[i] !== want[i]) return false;
  return true;
}

/** Whether a topic frame is exactly `id` or "*": a message meant for this peer. */
export function topicIsFor(frame: Uint8Array, id: string): boolean {
  return topicIs(frame, id) || topicIs(frame, TOPIC_ALL);
}

/** Decodes each payload on its own; only a ProtocolError is caught (anything else is a bug). */
export function decodeEach<M>(
  payloads: readonly Uint8Array[],
  decode: (bytes: Uint8Array) => M,
): Decoded<M>[] {
  const out: Decoded<M>[] = [];
  for (const payload of payloads) {
    try {
      out.push({ ok: true, msg: decode(payload) });
    } catch (err) {
      if (!isProtocolError(err)) throw err;
      out.push({ ok: false, error: err });
    }
  }
  return out;
}

/** Decode the requests of one PULL message, in order. Throws ERR_FRAMES for a bad frame count. */
export function decodeRequestFrames(frames: readonly Uint8Array[]): Decoded<ToHandlerMsg>[] {
  return decodeEach(pushPayloads(frames), decodeToHandler);
}

/**
 * Decode the events received by handler `hid` on its SUB socket. Returns undefined for a message
 * published under another topic that merely starts with `hid` (not an error: it is someone else's).
 */
export function decodeEventFrames(
  frames: readonly Uint8Array[],
  hid: string,
): Decoded<ToHandlerMsg>[] | undefined {
  const { topic, payloads } = splitTopicFrames(frames);
  return topicIsFor(topic, hid) ? decodeEach(payloads, decodeToHandler) : undefined;
}

/** Decode the replies received by frontend `fid` on its SUB socket; undefined when for another topic. */
export function decodeReplyFrames(
  frames: readonly Uint8Array[],
  fid: string,
): Decoded<ToFrontendMsg>[] | undefined {
  const { topic, payloads } = splitTopicFrames(frames);
  return topicIsFor(topic, fid) ? decodeEach(payloads, decodeToFrontend) : undefined;
}
