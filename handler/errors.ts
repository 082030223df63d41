/** Errors the SDK throws. Match on `code`, never on the message. */
export const HandlerErrorCode = {
  /** The module's export is not an app the SDK can serve. */
  AppKind: "ERR_APP_KIND",
  /** The module could not be found or loaded. */
  Module: "ERR_MODULE",
  /** A command-line option or environment variable has a bad value. */
  Usage: "ERR_USAGE",
  /** An endpoint list could not be parsed. */
  Endpoints: "ERR_ENDPOINTS",
  /** A HandlerConnection option is outside what the protocol carries (concurrency, heartbeat). */
  Options: "ERR_OPTIONS",
  /** A reply address lacks a field, or one is not an id (e.g. an address from protocol v1). */
  Address: "ERR_ADDRESS",
  /** A Replier was asked to answer a frontend that never subscribed to it. */
  NoFrontend: "ERR_NO_FRONTEND",
} as const;
export type HandlerErrorCode = (typeof HandlerErrorCode)[keyof typeof HandlerErrorCode];

export class HandlerError extends Error {
  override readonly name = "HandlerError";
  constructor(
    readonly code: HandlerErrorCode,
    message: string,
  ) {
    super(message);
  }
}
