/**
 * A Fetch `Request` that is built only when an app needs more than method, URL, headers and
 * signal. Building a real undici Request costs an AbortController, header validation and a body
 * stream per request; most apps route on method + URL and never need them. The object inherits
 * from Request.prototype (`instanceof Request` holds) and forwards everything else to a real
 * Request made on first use.
 */
import type { RequestMsg } from "../../protocol/index.js";
import type { Exchange } from "../exchange.js";
import { requestUrl, toRequest } from "./to-request.js";

const kState = Symbol("ferry.requestState");

interface State {
  ex: Exchange;
  url: string | undefined;
  headers: Headers | undefined;
  real: Request | undefined;
}

type Lazy = { [kState]: State };

function headersOf(msg: RequestMsg): Headers {
  const headers = new Headers();
  for (const [name, value] of msg.headers) headers.append(name, value);
  return headers;
}

function realRequest(self: Lazy): Request {
  const s = self[kState];
  s.real ??= toRequest(s.ex.request, s.ex.body, s.ex.signal);
  return s.real;
}

const proto = Object.create(Request.prototype) as Record<PropertyKey, unknown>;
for (const key of Reflect.ownKeys(Request.prototype)) {
  if (key === "constructor") continue;
  const desc = Object.getOwnPropertyDescriptor(Request.prototype, key)!;
  if (desc.get) {
    const get = desc.get;
    Object.defineProperty(proto, key, {
      get(this: Lazy) {
        return get.call(realRequest(this));
      },
      configurable: true,
    });
  } else if (typeof desc.value === "function") {
    const fn = desc.value as (...args: unknown[]) => unknown;
    Object.defineProperty(proto, key, {
      value(this: Lazy, ...args: unknown[]) {
        return fn.apply(realRequest(this), args);
      },
      configurable: true,
      writable: true,
    });
  }
}

Object.defineProperties(proto, {
  method: {
    get(this: Lazy) {
      return this[kState].ex.request.method;
    },
  },
  url: {
    get(this: Lazy) {
      const s = this[kState];
      return (s.url ??= requestUrl(s.ex.request));
    },
  },
  headers: {
    get(this: Lazy) {
      const s = this[kState];
      if (s.real) return s.real.headers;
      return (s.headers ??= headersOf(s.ex.request));
    },
  },
  signal: {
    get(this: Lazy) {
      return this[kState].ex.signal;
    },
  },
});

/** The Exchange behind a Request the handler gave an app (undefined for any other Request). */
export function exchangeOf(request: Request): Exchange | undefined {
  return (request as Partial<Lazy>)[kState]?.ex;
}

export function lazyRequest(ex: Exchange): Request {
  const obj = Object.create(proto) as Lazy;
  obj[kState] = { ex, url: undefined, headers: undefined, real: undefined };
  return obj as unknown as Request;
}
