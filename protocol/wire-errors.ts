/**
 * Error codes a handler sends in an `error` message, and the HTTP status the frontend answers
 * with. A code not in this table maps to 500; an explicit `status` (400-599) in the message wins.
 */
export const WireErrorStatus = {
  BAD_REQUEST: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  TOO_LARGE: 413,
  UNPROCESSABLE: 422,
  TOO_MANY_REQUESTS: 429,
  APP_ERROR: 500,
  INTERNAL: 500,
  NOT_IMPLEMENTED: 501,
  BAD_GATEWAY: 502,
  UNAVAILABLE: 503,
  TIMEOUT: 504,
} as const;
export type WireErrorCode = keyof typeof WireErrorStatus;

export function statusForWireError(code: string, status?: number): number {
  if (status !== undefined && Number.isInteger(status) && status >= 400 && status <= 599) {
    return status;
  }
  return Object.hasOwn(WireErrorStatus, code) ? WireErrorStatus[code as WireErrorCode] : 500;
}
