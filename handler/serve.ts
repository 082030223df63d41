/**
 * serve(app): connect to the frontends and run the app for every request. Fetch-style apps
 * and Node-style listeners are both accepted; see app-kind.ts for how they are told apart.
 */
import { resolveApp, type AppKind } from "./app-kind.js";
import { DEFAULT_ENDPOINTS, HandlerConnection, type ConnectionOptions } from "./connection.js";
import { installFastResponse } from "./fetch/fast-response.js";
import { fetchListener } from "./fetch/serve-fetch.js";
import { nodeListener } from "./node/serve-node.js";
import type { HandlerCurve } from "./curve.js";
import { ZmqTransport } from "./transport/zmq.js";

export interface ServeOptions extends ConnectionOptions {
  /** Force how the app is called (default: detected). */
  kind?: AppKind;
  /** CURVE keys when the frontends require CURVE (see curve.ts: loadHandlerCurve). */
  curve?: HandlerCurve;
  /**
   * Keep Node's own global `Response`. By default serving a Fetch-style app makes
   * `globalThis.Response` a subclass that sends string and byte bodies without building a
   * stream for them (fetch/fast-response.ts); this turns that off.
   */
  nativeResponse?: boolean;
}

export function serve(app: unknown, options: ServeOptions = {}): HandlerConnection {
  const resolved = resolveApp(app, options.kind);
  const transport =
    options.transport ??
    new ZmqTransport(options.frontends ?? [DEFAULT_ENDPOINTS], undefined, options.curve);
  const connection = new HandlerConnection({ ...options, transport });
  if (resolved.kind === "fetch" && !options.nativeResponse) installFastResponse();
  const listener =
    resolved.kind === "fetch"
      ? fetchListener(resolved.fetch, connection)
      : nodeListener(resolved.listener, connection);
  connection.on("request", listener);
  return connection.start();
}
