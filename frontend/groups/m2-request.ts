/** The Mongrel2 request frame for an exchange, as Mongrel2 1.12 would send it. */
import {
  encodeM2Request,
  m2RequestFromFerry,
  type M2HeaderFormat,
} from "../../protocol/mongrel2/index.js";
import type { Exchange } from "../exchange.js";
import { requestMsgOf } from "./request-message.js";

/** `uuid` = the group's sendIdent: handlers echo it at the start of every reply. */
export function encodeM2RequestFor(
  ex: Exchange,
  uuid: string,
  group: string,
  format: M2HeaderFormat,
): Buffer {
  return encodeM2Request(
    m2RequestFromFerry(requestMsgOf(ex, uuid, group), { uuid, format }),
    format,
  );
}
