/**
 * What the handler accepts as an app's response: any object with the Response shape, as
 * @hono/node-server does, so a Response from a ponyfill (node-fetch, undici's own package, a
 * bundled polyfill) is served like the global one rather than refused.
 */

/** The members of a Response the handler reads. */
export interface ResponseLike {
  readonly status: number;
  readonly headers:
    Iterable<[string, string]> | { forEach(cb: (v: string, k: string) => void): void };
  /** A web stream, or any async iterable of chunks (node-fetch gives a Node Readable). */
  readonly body?: ReadableStream<Uint8Array> | AsyncIterable<Uint8Array | string> | null;
  arrayBuffer?(): Promise<ArrayBuffer>;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && (typeof value === "object" || typeof value === "function");
}

/** True for a global Response and for any object shaped like one. */
export function isResponseLike(value: unknown): value is ResponseLike {
  if (value instanceof Response) return true;
  if (!isObject(value)) return false;
  const { status, headers } = value;
  if (typeof status !== "number" || !Number.isInteger(status)) return false;
  if (!isObject(headers)) return false;
  const iterable =
    typeof (headers as { [Symbol.iterator]?: unknown })[Symbol.iterator] === "function" ||
    typeof (headers as { forEach?: unknown }).forEach === "function";
  if (!iterable) return false;
  const body = value.body;
  const streamBody =
    body === null ||
    (isObject(body) &&
      (typeof (body as { getReader?: unknown }).getReader === "function" ||
        typeof (body as { [Symbol.asyncIterator]?: unknown })[Symbol.asyncIterator] ===
          "function"));
  return streamBody || typeof value.arrayBuffer === "function";
}

/** The header pairs of a Response-like, in its order (a Headers object keeps each Set-Cookie). */
export function headerEntries(headers: ResponseLike["headers"]): Array<[string, string]> {
  if (typeof (headers as { [Symbol.iterator]?: unknown })[Symbol.iterator] === "function") {
    const out: Array<[string, string]> = [];
    for (const [name, value] of headers as Iterable<[string, string]>)
      out.push([String(name), String(value)]);
    return out;
  }
  const out: Array<[string, string]> = [];
  (headers as { forEach(cb: (v: string, k: string) => void): void }).forEach((v, k) =>
    out.push([String(k), String(v)]),
  );
  return out;
}

/** The body chunk by chunk, whether a web stream or an async iterable. */
export interface ChunkReader {
  read(): Promise<{ done?: boolean; value?: Uint8Array | string }>;
  cancel(): Promise<void>;
}

export function chunkReader(
  body: ReadableStream<Uint8Array> | AsyncIterable<Uint8Array | string>,
): ChunkReader {
  if (typeof (body as { getReader?: unknown }).getReader === "function") {
    const reader = (body as ReadableStream<Uint8Array>).getReader();
    return { read: () => reader.read(), cancel: () => reader.cancel() };
  }
  const it = (body as AsyncIterable<Uint8Array | string>)[Symbol.asyncIterator]();
  return {
    read: () => it.next(),
    cancel: async () => {
      await it.return?.(undefined);
    },
  };
}
