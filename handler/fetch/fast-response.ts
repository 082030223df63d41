/**
 * A substitute for the global `Response` that remembers a body given whole (a string or bytes)
 * instead of wrapping it in a ReadableStream at once. Node's own Response builds a byte stream
 * for every body (made transferable, and read back in two reads to get the bytes), which
 * costs more CPU than the rest of a small request. The
 * handler sends a remembered body as it is; everything else about the object is a real
 * Response (it extends the real class: status, headers, `instanceof Response`).
 *
 * The stream is made only when the app itself touches the body (`body`, `text()`, `clone()`...):
 * from then on the body members answer from a real Response built from the remembered bytes, so
 * they behave as Node's own would. Bodies of any other kind (streams, Blobs, FormData, URL
 * params) go straight to the real constructor.
 *
 * serve() installs it as `globalThis.Response` for Fetch-style apps unless told not to
 * (`nativeResponse: true`, or FERRY_NATIVE_RESPONSE=1 for the CLI).
 */
import { types } from "node:util";

const NativeResponse: typeof Response = globalThis.Response;

/** Statuses whose responses must not have a body (the real constructor throws for them). */
const NULL_BODY_STATUS = new Set([101, 103, 204, 205, 304]);
const TEXT_TYPE = "text/plain;charset=UTF-8";
const JSON_TYPE = "application/json";

const kSource = Symbol("ferry.responseSource");
const kInner = Symbol("ferry.responseInner");
const kSent = Symbol("ferry.responseSent");

type Source = string | Uint8Array<ArrayBuffer>;

interface FastState {
  /** The body as given (bytes copied, as the real constructor copies them); undefined: none. */
  [kSource]: Source | undefined;
  /** The real Response that holds the body once the app touched it. */
  [kInner]: Response | undefined;
  /** The handler sent the remembered body: the body counts as read. */
  [kSent]: boolean;
}

type Fast = Response & FastState;
/** Response outside the class below (inside it, `Response` names the class itself). */
type AnyResponse = Response;

/** The content type the real constructor adds for the next fast Response (json() sets it). */
let nextType: string | undefined;

/** A string or a copy of the bytes for a body the fast path takes, else undefined. */
function sourceOf(body: unknown): Source | undefined {
  if (typeof body === "string") return body;
  if (types.isArrayBuffer(body)) return new Uint8Array(body.slice(0));
  if (ArrayBuffer.isView(body) && types.isArrayBuffer(body.buffer)) {
    return new Uint8Array(body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength));
  }
  return undefined;
}

/** True when `init` sets no status, or one the real constructor accepts a body with. */
function plainInit(init: unknown): boolean {
  if (init === undefined || init === null) return true;
  if (typeof init !== "object") return false;
  const status = (init as { status?: unknown }).status;
  return status === undefined || (typeof status === "number" && !NULL_BODY_STATUS.has(status));
}

/** The real Response that holds the body from now on (made on first use). */
function inner(self: Fast): Response {
  let real = self[kInner];
  if (real) return real;
  const source = self[kSource]!;
  const type = self.headers.get("content-type");
  real = new NativeResponse(
    source,
    type === null ? undefined : { headers: { "content-type": type } },
  );
  self[kInner] = real;
  if (self[kSent]) {
    // The handler read the body to send it: it is used up, as a sent stream would be.
    void real.body!.getReader().read();
  }
  return real;
}

const FastResponse = class Response extends NativeResponse {
  declare [kSource]: Source | undefined;
  declare [kInner]: AnyResponse | undefined;
  declare [kSent]: boolean;

  constructor(body?: BodyInit | null, init?: ResponseInit) {
    const type = nextType;
    nextType = undefined;
    const source = body === undefined || body === null ? undefined : sourceOf(body);
    if (source === undefined || !plainInit(init)) {
      super(body, init);
      this[kSource] = undefined;
    } else {
      super(null, init);
      this[kSource] = source;
      const contentType = type ?? (typeof source === "string" ? TEXT_TYPE : undefined);
      if (contentType !== undefined && !this.headers.has("content-type"))
        this.headers.append("content-type", contentType);
    }
    this[kInner] = undefined;
    this[kSent] = false;
  }

  static override json(data: unknown, init?: ResponseInit): AnyResponse {
    if (arguments.length === 0 || !plainInit(init)) return NativeResponse.json(data, init);
    const text = JSON.stringify(data) as string | undefined;
    if (text === undefined) return NativeResponse.json(data, init);
    nextType = JSON_TYPE;
    return new FastResponse(Buffer.from(text), init);
  }

  /** Every Response is one, also those Node makes (fetch(), Response.error(), clone()). */
  static override [Symbol.hasInstance](value: unknown): boolean {
    if (this !== FastResponse) return Function.prototype[Symbol.hasInstance].call(this, value);
    return value instanceof NativeResponse;
  }
};

/** Body members: served by the real Response that holds the body, once there is one. */
const proto = FastResponse.prototype as unknown as Record<PropertyKey, unknown>;
for (const key of ["body", "bodyUsed"] as const) {
  const desc = Object.getOwnPropertyDescriptor(NativeResponse.prototype, key)!;
  const get = desc.get!;
  Object.defineProperty(proto, key, {
    get(this: Fast) {
      if (this[kSource] === undefined) return get.call(this);
      return get.call(inner(this));
    },
    enumerable: desc.enumerable ?? false,
    configurable: true,
  });
}
for (const key of ["arrayBuffer", "blob", "bytes", "formData", "json", "text"] as const) {
  const desc = Object.getOwnPropertyDescriptor(NativeResponse.prototype, key);
  if (!desc || typeof desc.value !== "function") continue;
  const fn = desc.value as (this: Response) => Promise<unknown>;
  Object.defineProperty(proto, key, {
    value: {
      [key](this: Fast) {
        return fn.call(this[kSource] === undefined ? this : inner(this));
      },
    }[key],
    enumerable: desc.enumerable ?? false,
    configurable: true,
    writable: true,
  });
}
{
  const desc = Object.getOwnPropertyDescriptor(NativeResponse.prototype, "clone")!;
  const clone = desc.value as (this: Response) => Response;
  Object.defineProperty(proto, "clone", {
    value: {
      clone(this: Fast): Response {
        if (this[kSource] === undefined) return clone.call(this);
        // Status and headers from the real clone (it also refuses a used body), the body from
        // the remembered source, or from a tee of the real body once there is one.
        const copy = clone.call(this) as Fast;
        Object.setPrototypeOf(copy, FastResponse.prototype);
        const real = this[kInner];
        copy[kSource] = this[kSource];
        copy[kInner] = real === undefined ? undefined : clone.call(real);
        copy[kSent] = false;
        return copy;
      },
    }.clone,
    enumerable: desc.enumerable ?? false,
    configurable: true,
    writable: true,
  });
}

/**
 * The body of a substitute Response when it can be sent as it is: the remembered string or
 * bytes, never touched by the app. Marks it sent (its body then counts as read).
 */
export function takeFastBody(response: Response): Source | undefined {
  const self = response as Partial<FastState>;
  const source = self[kSource];
  if (source === undefined || self[kInner] !== undefined || self[kSent]) return undefined;
  self[kSent] = true;
  return source;
}

/** The real Response holding the body of a substitute that the app touched (else itself). */
export function bodyHolder(response: Response): Response {
  return (response as Partial<FastState>)[kInner] ?? response;
}

export { FastResponse, NativeResponse };

/** Make `Response` in this process the substitute (idempotent). */
export function installFastResponse(): void {
  if (globalThis.Response !== FastResponse) globalThis.Response = FastResponse;
}
