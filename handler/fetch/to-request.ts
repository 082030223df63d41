/** A Fetch `Request` from a request message: URL from scheme + Host + target, body as a stream. */
import type { RequestMsg } from "../../protocol/index.js";
import type { RequestBody } from "../request-body.js";

function origin(msg: RequestMsg): string {
  return `${msg.scheme}://${msg.host || "localhost"}`;
}

export function requestUrl(msg: RequestMsg): string {
  const t = msg.target;
  if (t.startsWith("/")) return origin(msg) + t;
  if (/^https?:\/\//i.test(t)) return t; // absolute-form
  return origin(msg) + "/"; // asterisk-form (OPTIONS *)
}

function bodyStream(body: RequestBody): ReadableStream<Uint8Array> {
  const it = body[Symbol.asyncIterator]();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const { done, value } = await it.next();
      if (done) controller.close();
      else controller.enqueue(value);
    },
    async cancel() {
      await it.return?.(undefined);
    },
  });
}

export function toRequest(msg: RequestMsg, body: RequestBody, signal: AbortSignal): Request {
  const headers = new Headers();
  for (const [name, value] of msg.headers) headers.append(name, value);
  const method = msg.method;
  const init: RequestInit & { duplex?: "half" } = { method, headers, signal };
  if (method !== "GET" && method !== "HEAD") {
    const inline = body.inline;
    if (inline !== undefined) {
      if (inline.length > 0) init.body = inline as Uint8Array<ArrayBuffer>;
    } else {
      init.body = bodyStream(body);
      init.duplex = "half";
    }
  }
  return new Request(requestUrl(msg), init);
}
