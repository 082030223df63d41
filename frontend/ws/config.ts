/**
 * A ferry group's `websocket` section: the limits of the WebSockets its handlers accept. Strict,
 * like every config object, so a misspelt key is a problem at start-up.
 */
import { z } from "zod";
import { Limits } from "../../protocol/index.js";

export const WebSocketConfigSchema = z.strictObject({
  /** Largest message a client may send (whole, after reassembly); past it the socket is closed 1009. */
  maxMessageBytes: z
    .number()
    .int()
    .min(1)
    .max(Limits.maxBinary)
    .default(1024 * 1024),
  /** ms between the frontend's pings; a client that has not answered the previous one is dropped. 0 = no pings. */
  pingInterval: z
    .number()
    .int()
    .min(0)
    .max(2 ** 31 - 1)
    .default(30_000),
  /**
   * Bytes queued for one client that does not read; past it the socket is closed 1013 (counted in
   * slowClientsClosed). Default: limits.connectionQueueBytes.
   */
  connectionQueueBytes: z.number().int().min(1024).max(Number.MAX_SAFE_INTEGER).optional(),
  /** Negotiate permessage-deflate with clients that offer it. */
  perMessageDeflate: z.boolean().default(false),
});

export type WebSocketConfig = z.output<typeof WebSocketConfigSchema>;
