/**
 * A ZAP authenticator (ZeroMQ RFC 27) that admits CURVE peers whose public key is on an allow-list.
 * libzmq asks whatever socket is bound to `inproc://zeromq.zap.01` in the same context before it
 * completes a CURVE handshake; with no such socket it admits every key. So the transport binds a
 * ROUTER there (in its own context) *before* binding its link sockets and hands it to `serve()`.
 * This file never imports zeromq: the socket comes in through the small interface below.
 */
import { EventEmitter } from "node:events";
import { z85Encode } from "../protocol/curve-keys.js";

export const ZAP_ENDPOINT = "inproc://zeromq.zap.01";

/** The part of a zeromq.js ROUTER this file uses. */
export interface ZapSocket extends AsyncIterable<Buffer[]> {
  send(frames: Buffer[]): Promise<void>;
}

/** One decision, as emitted in `allowed` / `denied` events. */
export interface ZapDecision {
  allowed: boolean;
  /** The peer's address as libzmq reports it (an IP address for tcp). */
  address: string;
  mechanism: string;
  /** The peer's public key in Z85, for CURVE. */
  publicKey?: string;
  reason: string;
}

export interface ZapAuthenticatorEvents {
  allowed: [ZapDecision];
  denied: [ZapDecision];
  /** A request that is not ZAP 1.0; answered with 500 where possible. */
  malformed: [Buffer[]];
}

const VERSION = "1.0";

/**
 * The reply frames (without the ROUTER envelope) to one ZAP request, and the decision taken.
 * Only CURVE peers with an allowed key get 200; every other mechanism is refused (the link
 * sockets are CURVE servers, so a NULL or PLAIN peer never gets this far anyway).
 */
export function answerZapRequest(
  request: readonly Buffer[],
  allow: ReadonlySet<string>,
): { reply: Buffer[]; decision?: ZapDecision } {
  const [version, requestId, _domain, address, _identity, mechanism, ...credentials] = request;
  if (version?.toString() !== VERSION || requestId === undefined || mechanism === undefined) {
    return { reply: replyFrames(requestId ?? Buffer.alloc(0), "500", "not a ZAP 1.0 request") };
  }
  const base = { address: address?.toString() ?? "", mechanism: mechanism.toString() };
  const key = credentials[0];
  if (base.mechanism !== "CURVE" || key === undefined || key.length !== 32) {
    const decision = { ...base, allowed: false, reason: "only CURVE peers are admitted" };
    return { reply: replyFrames(requestId, "400", decision.reason), decision };
  }
  const publicKey = z85Encode(key);
  const allowed = allow.has(publicKey);
  const decision = {
    ...base,
    allowed,
    publicKey,
    reason: allowed ? "key allowed" : "key not on the allow-list",
  };
  return {
    reply: replyFrames(
      requestId,
      allowed ? "200" : "400",
      decision.reason,
      allowed ? publicKey : "",
    ),
    decision,
  };
}

function replyFrames(requestId: Buffer, status: string, text: string, userId = ""): Buffer[] {
  return [
    Buffer.from(VERSION),
    requestId,
    Buffer.from(status),
    Buffer.from(text),
    Buffer.from(userId),
    Buffer.alloc(0),
  ];
}

/** Serves ZAP requests on a ROUTER socket until it closes; emits one event per decision. */
export class ZapAuthenticator extends EventEmitter<ZapAuthenticatorEvents> {
  constructor(private readonly allow: ReadonlySet<string>) {
    super();
  }

  /** Resolves when the socket is closed (its iterator ends or throws because it closed). */
  async serve(socket: ZapSocket): Promise<void> {
    try {
      for await (const frames of socket) {
        // ROUTER envelope: routing id frame(s), an empty delimiter, then the ZAP request.
        const delimiter = frames.findIndex((frame) => frame.length === 0);
        if (delimiter < 0) {
          this.emit("malformed", frames);
          continue;
        }
        const envelope = frames.slice(0, delimiter + 1);
        const { reply, decision } = answerZapRequest(frames.slice(delimiter + 1), this.allow);
        if (decision === undefined) this.emit("malformed", frames);
        else this.emit(decision.allowed ? "allowed" : "denied", decision);
        await socket.send([...envelope, ...reply]);
      }
    } catch (err) {
      // Closing the socket ends the loop; anything else is a real fault the caller must see.
      if (!isClosedError(err)) throw err;
    }
  }
}

function isClosedError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === "EBADF" || code === "ETERM" || code === "ENOTSOCK";
}
