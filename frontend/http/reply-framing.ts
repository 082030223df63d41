/**
 * What a reply head says about its own length, checked before anything reaches a client. The
 * frontend frames every response itself (RFC 9112 §6): a whole reply gets the Content-Length of
 * the bytes it carries, a streamed one keeps a declared Content-Length (enforced as it is sent)
 * or is chunked. A head whose framing fields contradict themselves is a bad reply: sending it on
 * would let a handler's bytes become the client's next response, or swallow it.
 *
 * Shared by every way replies arrive (Ferry `head`, Mongrel2 raw responses), so the rules cannot
 * drift apart.
 */
import type { HeaderPair } from "../../protocol/index.js";

export interface ReplyFraming {
  /** The declared Content-Length, when there is one and it is valid. */
  readonly length: number | undefined;
  /** Why the head cannot be framed as given (bad or conflicting length/coding), else undefined. */
  readonly problem: string | undefined;
}

const DIGITS = /^[0-9]{1,16}$/;

/**
 * Content-Length and Transfer-Encoding of a reply head. Content-Length values must be digits and
 * all equal (a field may repeat or list the same value, RFC 9110 §8.6); Transfer-Encoding may
 * only be one `chunked` and never with Content-Length (RFC 9112 §6.3). Anything else: `problem`.
 */
export function replyFraming(headers: readonly HeaderPair[]): ReplyFraming {
  let length: number | undefined;
  let codings = 0;
  let problem: string | undefined;
  for (let i = 0; i < headers.length && problem === undefined; i++) {
    const name = headers[i]![0];
    if (name.length !== 14 && name.length !== 17) continue;
    const lower = name.toLowerCase();
    const value = headers[i]![1];
    if (lower === "content-length") {
      for (const part of value.split(",")) {
        const v = part.trim();
        if (!DIGITS.test(v) || Number(v) > Number.MAX_SAFE_INTEGER) {
          problem = `content-length ${JSON.stringify(value.slice(0, 40))} is not a length`;
          break;
        }
        if (length !== undefined && Number(v) !== length) {
          problem = "conflicting content-length values";
          break;
        }
        length = Number(v);
      }
    } else if (lower === "transfer-encoding") {
      codings++;
      if (value.trim().toLowerCase() !== "chunked" || codings > 1)
        problem = `transfer-encoding ${JSON.stringify(value.slice(0, 40))} cannot be relayed`;
    }
  }
  if (problem === undefined && codings > 0 && length !== undefined)
    problem = "both content-length and transfer-encoding";
  return problem === undefined ? { length, problem } : { length: undefined, problem };
}
