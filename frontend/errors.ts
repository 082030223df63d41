/**
 * Every error the frontend can produce, by stable code. Codes with a status reach clients (as
 * the response status, an `x-ferry-error` header and a JSON body); codes without one stop the
 * process or a command (config, startup). docs/errors.md lists the same table; a test keeps the
 * two in agreement. Match on `code`, never on message text.
 */
export const FerryErrors = {
  FERRY_BAD_REQUEST: { status: 400, cause: "The request could not be parsed as HTTP/1.x." },
  FERRY_BAD_HANDSHAKE: {
    status: 400,
    cause: "A WebSocket upgrade that is not a valid RFC 6455 handshake (method, version, key...).",
  },
  FERRY_BAD_HOST: {
    status: 400,
    cause:
      'The Host field, or an absolute-form target\'s authority, is not `uri-host [":" port]` (RFC 9112 §3.2).',
  },
  FERRY_BAD_TARGET: {
    status: 400,
    cause:
      "The request-target has a dot-segment (`/a/../b`, `%2e%2e`), or is neither origin-form, absolute-form nor `*` (OPTIONS).",
  },
  FERRY_HEADER_TIMEOUT: {
    status: 408,
    cause: "The client did not send its headers within limits.headerTimeout.",
  },
  FERRY_BODY_TIMEOUT: {
    status: 408,
    cause:
      "The client sent no request body bytes for limits.bodyIdleMs (then the connection closes).",
  },
  FERRY_NO_ROUTE: { status: 404, cause: "No host or route matches the request." },
  FERRY_BODY_TOO_LARGE: {
    status: 413,
    cause:
      "The body is larger than limits.bodyBytes (or, for a mongrel2 group, its inlineBodyLimit).",
  },
  FERRY_TARGET_TOO_LONG: {
    status: 414,
    cause: "The request-target is longer than a protocol string (65,536 bytes).",
  },
  FERRY_HEADERS_TOO_LARGE: {
    status: 431,
    cause:
      "The request head is larger than limits.headerBytes, has more than 1,000 header fields, or a field longer than 65,536 bytes.",
  },
  FERRY_INTERNAL: {
    status: 500,
    cause:
      "A defect in the frontend while handling this request; logged with its stack and counted (ferry_internal_errors_total). Other requests are unaffected.",
  },
  FERRY_HANDLER_ERROR: {
    status: 500,
    cause:
      "The handler answered with an `error` message; its code sets the status (see protocol wire errors).",
  },
  FERRY_BAD_REPLY: {
    status: 502,
    cause:
      "The handler's reply could not be written: invalid status or header, or framing it cannot keep (bad or conflicting Content-Length, Transfer-Encoding other than one chunked, more or fewer body bytes than declared).",
  },
  FERRY_HANDLER_LOST: {
    status: 502,
    cause:
      "The handler holding the request stopped heart-beating, or left, and the request could not be re-sent.",
  },
  FERRY_NO_HANDLER: {
    status: 503,
    cause: "No live handler in the route's group; answered at once with Retry-After.",
  },
  FERRY_QUEUE_FULL: {
    status: 503,
    cause:
      "Every handler is busy and the group's wait queue is full, or the request waited longer than queue.wait.",
  },
  FERRY_PIPELINE_DEPTH: {
    status: 503,
    cause:
      "More than limits.pipelineDepth requests pipelined on one connection: the request is refused and the connection closes after the earlier responses.",
  },
  FERRY_UPSTREAM_BUSY: {
    status: 503,
    cause:
      "Every connection to a proxy route's upstream is busy and its wait queue (queue.length) is full.",
  },
  FERRY_UPGRADE_UNSUPPORTED: {
    status: 501,
    cause:
      "A WebSocket upgrade on a route that is not a ferry group (static, proxy, mongrel2), or another Upgrade with a body.",
  },
  FERRY_UPSTREAM_ERROR: {
    status: 502,
    cause: "A proxy route's upstream could not be reached, refused, or broke off its response.",
  },
  FERRY_UPSTREAM_TIMEOUT: {
    status: 504,
    cause:
      "A proxy route's upstream did not connect or answer within the route's timeouts, or no upstream connection was free within queue.wait.",
  },
  FERRY_REPLY_TIMEOUT: {
    status: 504,
    cause: "No reply head within the group's timeout; the handler gets `cancel`.",
  },
  FERRY_CONFIG_INVALID: {
    status: undefined,
    cause: "The config file failed validation; every problem is listed with its path.",
  },
  FERRY_CONFIG_READ: {
    status: undefined,
    cause: "The config file could not be read or is not JSON.",
  },
  FERRY_UNSUPPORTED: {
    status: undefined,
    cause: "The config asks for something this build does not implement yet.",
  },
  FERRY_LISTEN_FAILED: {
    status: undefined,
    cause: "A listener or group socket could not bind its address.",
  },
  FERRY_TLS_FILE: {
    status: undefined,
    cause:
      "A TLS key or certificate file of a listener could not be read (its config path is named).",
  },
  FERRY_TLS_CREDENTIALS: {
    status: undefined,
    cause:
      "A listener's TLS files were read but make no usable context (bad PEM, key and certificate do not match).",
  },
  FERRY_CONTROL_TOKEN: {
    status: 401,
    cause:
      "A control listener request (other than /health) without the listener's token (docs/operations.md).",
  },
  FERRY_CONTROL_UNREACHABLE: {
    status: undefined,
    cause:
      "`ferry status` or `ferry reload` found no control listener or pid file to reach the frontend by.",
  },
  FERRY_RELOAD_FAILED: {
    status: undefined,
    cause: "A reload was refused; the running config stays (each problem is listed with its path).",
  },
  FERRY_USAGE: { status: undefined, cause: "The command line could not be understood." },
} as const satisfies Record<string, { status: number | undefined; cause: string }>;

export type FerryErrorCode = keyof typeof FerryErrors;

export class FerryError extends Error {
  override readonly name = "FerryError";
  readonly status: number | undefined;
  constructor(
    readonly code: FerryErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.status = FerryErrors[code].status;
  }
}

/** Problems found in a config, each with the path of the offending key. */
export class ConfigError extends FerryError {
  constructor(
    readonly problems: readonly ConfigProblem[],
    readonly file?: string,
  ) {
    super(
      "FERRY_CONFIG_INVALID",
      `${file ?? "config"}: ${problems.length} problem${problems.length === 1 ? "" : "s"}\n` +
        problems.map((p) => `  ${p.path || "(root)"}: ${p.message}`).join("\n"),
    );
  }
}

export interface ConfigProblem {
  /** Dotted path with [i] indices, e.g. `groups.api.timeout`, `listeners[0].port`. */
  path: string;
  message: string;
}

export function isFerryError(err: unknown): err is FerryError {
  return err instanceof FerryError;
}
