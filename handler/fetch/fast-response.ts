/**
 * A substitute for the global `Response` that, for the common case, builds nothing of Node's
 * own: a body given whole (a string, bytes, or none) with a plain init (a status, a reason, and
 * headers as a record, an array of pairs or a Headers) is remembered as given. Node's own
 * Response converts the init, builds a Headers, and wraps every body in a byte stream (made
 * transferable, read back in two reads), which costs more CPU than the rest of a small request.
 * The handler sends a remembered response as it is.
 *
 * The object still is a Response (`instanceof Response`, `Response.prototype` members): status,
 * ok, statusText and the rest answer from what was remembered; `headers` is a real Headers made
 * on first read; the body members (`body`, `text()`, `clone()`...) answer from a real Response
 * built from the remembered body on first use, so they behave as Node's own would. Any other
 * body (streams, Blobs, FormData, URL params), and any init the remembered form cannot hold
 * exactly (a status or header Node would refuse or convert), goes to the real constructor, so
 * it throws what Node's own throws.
 *
 * serve() installs it as `globalThis.Response` for Fetch-style apps unless told not to
 * (`nativeResponse: true`, or FERRY_NATIVE_RESPONSE=1 for the CLI).
 */
import { types } from "node:util";
import type { HeaderPair } from "../../protocol/index.js";
import { hasHeader, headerValue, initPairs } from "./init-headers.js";

const NativeResponse: typeof Response = globalThis.Response;

/** Statuses whose responses must not have a body (the real constructor throws for them). */
const NULL_BODY_STATUS = new Set([204, 205, 304]);
/** A reason phrase the real constructor takes as it is: HTAB, SP, VCHAR, obs-text. */
const REASON = /^[\t\x20-\x7e\x80-\xff]*$/;
const TEXT_TYPE = "text/plain;charset=UTF-8";
const JSON_TYPE = "application/json";

const kLazy = Symbol("ferry.response");

type Source = string | Uint8Array<ArrayBuffer>;

/** What a substitute remembers instead of Node's internal state. */
interface Lazy {
  status: number;
  statusText: string;
  /** The headers as normalized pairs (content type included) until `headers` is first read. */
  pairs: HeaderPair[] | undefined;
  /** The real Headers, once read (or given as a Headers); then the only copy. */
  headers: Headers | undefined;
  /** The body as given (bytes copied, as the real constructor copies them); null: no body. */
  source: Source | null;
  /** The real Response that holds the body once the app touched it. */
  inner: Response | undefined;
  /** The handler sent the remembered body: the body counts as read. */
  sent: boolean;
}

type Fast = Response & { [kLazy]?: Lazy };
/** Response outside the class below (inside it, `Response` names the class itself). */
type AnyResponse = Response;

/** A string or a copy of the bytes for a body the fast path takes; null: no body; else undefined. */
function sourceOf(body: unknown): Source | null | undefined {
  if (typeof body === "string") return body;
  if (body === undefined || body === null) return null;
  if (types.isArrayBuffer(body)) return new Uint8Array(body.slice(0));
  if (ArrayBuffer.isView(body) && types.isArrayBuffer(body.buffer)) {
    return new Uint8Array(body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength));
  }
  return undefined;
}

/**
 * The remembered form of a Response, or undefined when the real constructor must decide (it
 * may throw, or convert something). `type`: the content type to add when the headers have none.
 */
function remember(
  source: Source | null,
  init: unknown,
  type: string | undefined,
): Lazy | undefined {
  let status = 200;
  let statusText = "";
  let headersInit: unknown;
  if (init !== undefined && init !== null) {
    if (typeof init !== "object") return undefined;
    // In the order Node reads them (dictionary members are read sorted by name).
    const dict = init as ResponseInit;
    headersInit = dict.headers;
    const s = dict.status;
    const t = dict.statusText;
    if (s !== undefined) {
      if (typeof s !== "number" || !Number.isInteger(s) || s < 200 || s > 599) return undefined;
      if (source !== null && NULL_BODY_STATUS.has(s)) return undefined;
      status = s;
    }
    if (t !== undefined) {
      if (typeof t !== "string" || !REASON.test(t)) return undefined;
      statusText = t;
    }
  }
  const pairs = initPairs(headersInit);
  let headers: Headers | undefined;
  if (pairs === undefined) {
    if (!(headersInit instanceof Headers)) return undefined;
    headers = new Headers(headersInit);
  }
  const contentType = type ?? (typeof source === "string" ? TEXT_TYPE : undefined);
  if (contentType !== undefined) {
    if (headers !== undefined) {
      if (!headers.has("content-type")) headers.append("content-type", contentType);
    } else if (!hasHeader(pairs!, "content-type")) pairs!.push(["content-type", contentType]);
  }
  return { status, statusText, pairs, headers, source, inner: undefined, sent: false };
}

function headersOf(st: Lazy): Headers {
  if (st.headers !== undefined) return st.headers;
  const headers = new Headers();
  for (const [name, value] of st.pairs!) headers.append(name, value);
  st.headers = headers;
  st.pairs = undefined;
  return headers;
}

/** The real Response that holds the body from now on (made on first use). */
function inner(st: Lazy): Response {
  let real = st.inner;
  if (real) return real;
  const type =
    st.headers !== undefined
      ? st.headers.get("content-type")
      : headerValue(st.pairs!, "content-type");
  real = new NativeResponse(
    st.source,
    type === null ? undefined : { headers: { "content-type": type } },
  );
  // The app removed the content type: the body's type (blob(), formData()) has none either.
  if (type === null) real.headers.delete("content-type");
  st.inner = real;
  if (st.sent) {
    // The handler read the body to send it: it is used up, as a sent stream would be.
    void real.body!.getReader().read();
  }
  return real;
}

function substitute(proto: object, st: Lazy): Fast {
  const self = Object.create(proto) as Fast;
  self[kLazy] = st;
  return self;
}

const FastResponse = class Response extends NativeResponse {
  constructor(body?: BodyInit | null, init?: ResponseInit) {
    const source = sourceOf(body);
    const st = source === undefined ? undefined : remember(source, init, undefined);
    if (st === undefined) {
      super(body, init);
      return;
    }
    // Nothing of Node's is built: the object answers every member itself (below).
    return substitute(new.target.prototype as object, st);
  }

  static override json(data: unknown, init?: ResponseInit): AnyResponse {
    if (arguments.length === 0) return NativeResponse.json(data, init);
    const text = JSON.stringify(data) as string | undefined;
    const st = text === undefined ? undefined : remember(text, init, JSON_TYPE);
    if (st === undefined) return NativeResponse.json(data, init);
    return substitute(FastResponse.prototype, st);
  }

  /** Every Response is one, also those Node makes (fetch(), Response.error(), clone()). */
  static override [Symbol.hasInstance](value: unknown): boolean {
    if (this !== FastResponse) return Function.prototype[Symbol.hasInstance].call(this, value);
    return value instanceof NativeResponse;
  }
};

// ------------------------------------------------------------ members of a substitute

const proto = FastResponse.prototype as unknown as Record<PropertyKey, unknown>;
const nativeProto = NativeResponse.prototype as unknown as Record<PropertyKey, unknown>;

/** A getter that answers from the remembered state, or Node's own for a real Response. */
function getter(key: string, lazy: (st: Lazy) => unknown): void {
  const desc = Object.getOwnPropertyDescriptor(nativeProto, key)!;
  const get = desc.get!;
  Object.defineProperty(proto, key, {
    get(this: Fast) {
      const st = this[kLazy];
      return st === undefined ? get.call(this) : lazy(st);
    },
    enumerable: desc.enumerable ?? false,
    configurable: true,
  });
}

type NativeMethod = (this: Response) => unknown;

function method(key: string, lazy: (st: Lazy, native: NativeMethod) => unknown): void {
  const desc = Object.getOwnPropertyDescriptor(nativeProto, key);
  if (!desc || typeof desc.value !== "function") return;
  const fn = desc.value as NativeMethod;
  Object.defineProperty(proto, key, {
    value: {
      [key](this: Fast) {
        const st = this[kLazy];
        return st === undefined ? fn.call(this) : lazy(st, fn);
      },
    }[key],
    enumerable: desc.enumerable ?? false,
    configurable: true,
    writable: true,
  });
}

getter("type", () => "default");
getter("url", () => "");
getter("redirected", () => false);
getter("status", (st) => st.status);
getter("ok", (st) => st.status >= 200 && st.status <= 299);
getter("statusText", (st) => st.statusText);
getter("headers", headersOf);
getter("body", (st) => (st.source === null ? null : inner(st).body));
getter("bodyUsed", (st) => (st.inner !== undefined ? st.inner.bodyUsed : st.sent));
for (const key of ["arrayBuffer", "blob", "bytes", "formData", "json", "text"])
  method(key, (st, fn) => fn.call(inner(st)));
method("clone", (st, clone) => {
  // A used body: Node's own clone() refuses it, with its own error.
  if (st.sent || st.inner?.bodyUsed) return clone.call(inner(st));
  return substitute(FastResponse.prototype, {
    status: st.status,
    statusText: st.statusText,
    pairs: st.pairs,
    headers: st.headers === undefined ? undefined : new Headers(st.headers),
    source: st.source,
    inner: st.inner === undefined ? undefined : (clone.call(st.inner) as Response),
    sent: false,
  });
});

/** A substitute Response as the handler sends it, when it can be sent as it is. */
export interface WholeResponse {
  status: number;
  /** The headers as given (normalized), or the real Headers once the app read them. */
  headers: Headers | readonly HeaderPair[];
  /** The body as given; null: a null body. */
  body: Source | null;
}

/**
 * A substitute Response whose body the app never touched: what to send. Marks its body sent
 * (the body then counts as read). Undefined for any other Response.
 */
export function takeWhole(response: Response): WholeResponse | undefined {
  const st = (response as Fast)[kLazy];
  if (st === undefined || st.inner !== undefined || st.sent) return undefined;
  if (st.source !== null) st.sent = true;
  return { status: st.status, headers: st.headers ?? st.pairs!, body: st.source };
}

/** The real Response holding the body of a substitute that the app touched (else itself). */
export function bodyHolder(response: Response): Response {
  return (response as Fast)[kLazy]?.inner ?? response;
}

export { FastResponse, NativeResponse };

/** Make `Response` in this process the substitute (idempotent). */
export function installFastResponse(): void {
  if (globalThis.Response !== FastResponse) globalThis.Response = FastResponse;
}
