/**
 * Errors a proxy route reports to its client. Match on `code`, never on the message text; each
 * code has one HTTP status.
 */

export const ProxyErrorCode = {
  /** The upstream refused or reset the connection, or sent something that is not HTTP. */
  UpstreamError: "FERRY_UPSTREAM_ERROR",
  /** Connecting took longer than `timeouts.connect`, or the head longer than `timeouts.headers`. */
  UpstreamTimeout: "FERRY_UPSTREAM_TIMEOUT",
  /** Every connection to the upstream is busy and the route's wait queue is full. */
  UpstreamBusy: "FERRY_UPSTREAM_BUSY",
  /** The request body is larger than limits.bodyBytes. */
  BodyTooLarge: "FERRY_BODY_TOO_LARGE",
} as const;
export type ProxyErrorCode = (typeof ProxyErrorCode)[keyof typeof ProxyErrorCode];

export const PROXY_ERROR_STATUS: Record<ProxyErrorCode, number> = {
  FERRY_UPSTREAM_ERROR: 502,
  FERRY_UPSTREAM_TIMEOUT: 504,
  FERRY_UPSTREAM_BUSY: 503,
  FERRY_BODY_TOO_LARGE: 413,
};

export class ProxyError extends Error {
  override readonly name = "ProxyError";
  readonly status: number;
  constructor(
    readonly code: ProxyErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.status = PROXY_ERROR_STATUS[code];
  }
}

/** undici's timeout codes; everything else that fails an upstream exchange is a 502. */
const TIMEOUT_CODES = new Set([
  "UND_ERR_CONNECT_TIMEOUT",
  "UND_ERR_HEADERS_TIMEOUT",
  "UND_ERR_BODY_TIMEOUT",
  "ETIMEDOUT",
]);

function codeOf(err: unknown): string | undefined {
  if (typeof err !== "object" || err === null) return undefined;
  const code = (err as { code?: unknown }).code;
  if (typeof code === "string") return code;
  // undici wraps connect failures in an AggregateError when several addresses were tried.
  const errors = (err as { errors?: unknown }).errors;
  if (Array.isArray(errors)) return codeOf(errors[0]);
  return undefined;
}

/** Maps a failure of the upstream exchange to the error the client is told about. */
export function toProxyError(err: unknown): ProxyError {
  if (err instanceof ProxyError) return err;
  // undici wraps what the request body stream failed with.
  const cause = (err as { cause?: unknown } | null)?.cause;
  if (cause instanceof ProxyError) return cause;
  const code = codeOf(err) ?? "unknown";
  if (TIMEOUT_CODES.has(code)) {
    return new ProxyError(ProxyErrorCode.UpstreamTimeout, `upstream timed out (${code})`, {
      cause: err,
    });
  }
  return new ProxyError(ProxyErrorCode.UpstreamError, `upstream failed (${code})`, { cause: err });
}
