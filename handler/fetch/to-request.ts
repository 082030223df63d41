/** A Fetch `Request` from a request message: URL from validated parts, body as a stream. */
import type { RequestMsg } from "../../protocol/index.js";
import type { RequestBody } from "../request-body.js";

import { requestUrl } from "./request-url.js";

export { requestUrl };

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
    // Every other method has a body, empty when the request carried none (as a Node server's
    // request stream ends at once): `request.body` is a stream, never null.
    const inline = body.inline;
    if (inline !== undefined) {
      init.body = inline as Uint8Array<ArrayBuffer>;
    } else {
      init.body = bodyStream(body);
      init.duplex = "half";
    }
  }
  return new Request(requestUrl(msg), init);
}
