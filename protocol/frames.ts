/**
 * ZeroMQ framing of protocol v1. PUSH/PULL messages are exactly one frame, the msgpack payload.
 * PUB/SUB messages are exactly two frames, [topic, payload]. SUB sockets match topics by prefix,
 * so a receiver compares the topic frame exactly and ignores messages for other topics (a
 * frontend `web-1` also receives what is published for `web-10`). Throws only ProtocolError.
 */
import { decodeToFrontend, decodeToHandler } from "./codec.js";
import { ProtocolError, ProtocolErrorCode as E } from "./errors.js";
import { TOPIC_ALL } from "./kinds.js";
import type { ToFrontendMsg, ToHandlerMsg } from "./types.js";

/** A PUB/SUB message split into its two frames. */
export interface TopicFrames {
  readonly topic: Uint8Array;
  readonly payload: Uint8Array;
}

/** The payload of a PUSH/PULL message: exactly one frame. */
export function pushPayload(frames: readonly Uint8Array[]): Uint8Array {
  if (frames.length !== 1) {
    throw new ProtocolError(E.Frames, `expected 1 frame on PUSH/PULL, got ${frames.length}`);
  }
  return frames[0]!;
}

/** The two frames of a PUB/SUB message. */
export function splitTopicFrames(frames: readonly Uint8Array[]): TopicFrames {
  if (frames.length !== 2) {
    throw new ProtocolError(E.Frames, `expected 2 frames [topic, payload], got ${frames.length}`);
  }
  return { topic: frames[0]!, payload: frames[1]! };
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

/** Decode a request pulled by a handler (PULL, one frame). */
export function decodeRequestFrames(frames: readonly Uint8Array[]): ToHandlerMsg {
  return decodeToHandler(pushPayload(frames));
}

/**
 * Decode an event received by handler `hid` on its SUB socket. Returns undefined for a message
 * published under another topic that merely starts with `hid` (not an error: it is someone else's).
 */
export function decodeEventFrames(
  frames: readonly Uint8Array[],
  hid: string,
): ToHandlerMsg | undefined {
  const { topic, payload } = splitTopicFrames(frames);
  return topicIsFor(topic, hid) ? decodeToHandler(payload) : undefined;
}

/** Decode a reply received by frontend `fid` on its SUB socket; undefined when for another topic. */
export function decodeReplyFrames(
  frames: readonly Uint8Array[],
  fid: string,
): ToFrontendMsg | undefined {
  const { topic, payload } = splitTopicFrames(frames);
  return topicIsFor(topic, fid) ? decodeToFrontend(payload) : undefined;
}
