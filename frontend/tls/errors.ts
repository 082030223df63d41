/** Errors loading TLS material. Match on `code`; `path` names the file or config entry at fault. */

export const TlsErrorCode = {
  /** A key or certificate file could not be read. */
  FileUnreadable: "FERRY_TLS_FILE",
  /** The files were read but do not make a usable context (bad PEM, key/cert mismatch, ...). */
  BadCredentials: "FERRY_TLS_CREDENTIALS",
} as const;
export type TlsErrorCode = (typeof TlsErrorCode)[keyof typeof TlsErrorCode];

export class TlsConfigError extends Error {
  override readonly name = "TlsConfigError";
  constructor(
    readonly code: TlsErrorCode,
    message: string,
    /** The config path (`tls.sni["a.example"].cert`) or file at fault. */
    readonly path: string,
    options?: { cause?: unknown },
  ) {
    super(`${path}: ${message}`, options);
  }
}
