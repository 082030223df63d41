/**
 * The Mongrel2 reply, handler -> frontend, one ZeroMQ frame (PUB, the UUID is the topic):
 *
 *     UUID SP LEN ':' IDS ',' SP BODY          IDS = ID (SP ID)*   (LEN counts the bytes of IDS)
 *     UUID SP LEN ':' 'X' SP IDS ',' SP TNET   an extended reply: TNET = ["name", args]
 *
 * BODY is written raw to every listed connection; an empty BODY closes them. Extended replies
 * carry control messages, e.g. ["ctl", {"credits": 200}], ["ctl", {"keep-alive": true}],
 * ["ctl", {"cancel": 1}]. Grammar from Mongrel2's handler_parser.rl.
 */
import { ProtocolError, ProtocolErrorCode as E } from "../errors.js";
import { COLON, COMMA, SPACE, isM2Uuid, parseDecimalId, toBuffer } from "./bytes.js";
import { M2Limits } from "./limits.js";
import {
  decodeTnetstring,
  encodeTnetstring,
  type TnetInput,
  type TnetValue,
} from "./tnetstring.js";

export interface M2Reply {
  uuid: string;
  /** Connection ids, 1 to 128. */
  ids: number[];
  /** Raw bytes for the clients (empty = close); for an extended reply, the encoded tnetstring. */
  body: Uint8Array;
  /** Present on an extended (`X`) reply: the list's name and its argument. */
  extended?: { name: string; args: TnetValue };
}

/** What encodeM2Reply takes: raw bytes, or an extended message. */
export type M2ReplyDraft =
  | { uuid: string; ids: readonly number[]; body: Uint8Array | string }
  | { uuid: string; ids: readonly number[]; extended: { name: string; args: TnetInput } };

/** Control settings of a `["ctl", {...}]` reply; Mongrel2 acts on each key present. */
export interface M2Ctl {
  /** Let Mongrel2 send this many more bytes to the client (download flow control). */
  credits?: number;
  /** Reset the connection's idle timer. */
  keepAlive?: boolean;
  /** Close the connection now. */
  cancel?: boolean;
}

const fail = (message: string): never => {
  throw new ProtocolError(E.M2Reply, `mongrel2 reply: ${message}`);
};

function checkIds(ids: readonly number[], max: number): void {
  if (ids.length === 0) fail("no connection ids");
  if (ids.length > max) fail(`${ids.length} connection ids is more than ${max}`);
  for (const id of ids) {
    if (!Number.isSafeInteger(id) || id < 0)
      fail(`connection id ${id} is not a non-negative integer`);
  }
}

/** Encode a reply. Ids are joined by single spaces, no trailing space. */
export function encodeM2Reply(
  draft: M2ReplyDraft,
  maxTargets: number = M2Limits.maxTargets,
): Buffer {
  if (!isM2Uuid(draft.uuid)) fail("uuid must be 1-128 of [A-Za-z0-9-]");
  checkIds(draft.ids, maxTargets);
  const extended = "extended" in draft;
  const ids = `${extended ? "X " : ""}${draft.ids.join(" ")}`;
  const body = extended
    ? encodeTnetstring([draft.extended.name, draft.extended.args])
    : toBuffer(draft.body);
  return Buffer.concat([Buffer.from(`${draft.uuid} ${ids.length}:${ids}, `, "latin1"), body]);
}

/** The `["ctl", {...}]` extended reply for the settings given. */
export function encodeM2Ctl(uuid: string, ids: readonly number[], ctl: M2Ctl): Buffer {
  const args = new Map<string, TnetInput>();
  if (ctl.credits !== undefined) {
    if (!Number.isSafeInteger(ctl.credits) || ctl.credits < 0)
      fail("credits must be a non-negative integer");
    args.set("credits", ctl.credits);
  }
  if (ctl.keepAlive) args.set("keep-alive", true);
  if (ctl.cancel) args.set("cancel", 1);
  if (args.size === 0) fail("a ctl reply needs credits, keepAlive or cancel");
  return encodeM2Reply({ uuid, ids, extended: { name: "ctl", args } });
}

function parseIds(text: string, max: number): { ids: number[]; extended: boolean } {
  let rest = text;
  const extended = rest.startsWith("X ");
  if (extended) rest = rest.slice(2);
  // Mongrel2: Identifier = digit+ ' '?, so ids are separated by one space and may end with one.
  if (rest.endsWith(" ")) rest = rest.slice(0, -1);
  if (rest.length === 0) fail("no connection ids");
  const parts = rest.split(" ");
  if (parts.length > max) fail(`${parts.length} connection ids is more than ${max}`);
  const ids = parts.map(
    (p) => parseDecimalId(p) ?? fail(`bad connection id ${JSON.stringify(p.slice(0, 20))}`),
  );
  return { ids, extended };
}

function parseExtended(body: Buffer): { name: string; args: TnetValue } {
  const value = decodeTnetstring(body);
  if (!Array.isArray(value) || value.length !== 2) fail("extended body is not a 2-item list");
  const [name, args] = value as [TnetValue, TnetValue];
  if (!(name instanceof Uint8Array) || name.length === 0)
    fail("extended name is not a non-empty string");
  return { name: toBuffer(name as Uint8Array).toString("utf8"), args };
}

/** Decode one reply frame. Throws ProtocolError ERR_M2_REPLY (ERR_TNETSTRING for a bad X body). */
export function decodeM2Reply(
  input: Uint8Array,
  maxTargets: number = M2Limits.maxTargets,
): M2Reply {
  const bytes = toBuffer(input);
  const sp = bytes.indexOf(SPACE);
  if (sp < 0) fail("truncated before the space after the uuid");
  const uuid = bytes.toString("latin1", 0, sp);
  if (!isM2Uuid(uuid)) fail("uuid must be 1-128 of [A-Za-z0-9-]");
  // LEN: at most 4 digits are ever needed (128 ids of 16 digits); more is an error, not a scan.
  let i = sp + 1;
  let len = 0;
  while (
    i < bytes.length &&
    i - sp - 1 < 6 &&
    (bytes[i] as number) >= 0x30 &&
    (bytes[i] as number) <= 0x39
  ) {
    len = len * 10 + ((bytes[i] as number) - 0x30);
    i++;
  }
  if (i === sp + 1) fail("no id-list length");
  if (i >= bytes.length) fail("truncated id-list length");
  if (bytes[i] !== COLON) fail("id-list length not followed by ':'");
  const idStart = i + 1;
  const idEnd = idStart + len;
  if (idEnd + 1 >= bytes.length) fail("truncated id list");
  if (bytes[idEnd] !== COMMA) fail("id-list length does not match (no ',' where it ends)");
  if (bytes[idEnd + 1] !== SPACE) fail("no space after the id list");
  const { ids, extended } = parseIds(bytes.toString("latin1", idStart, idEnd), maxTargets);
  const body = bytes.subarray(idEnd + 2);
  if (!extended) return { uuid, ids, body };
  return { uuid, ids, body, extended: parseExtended(body) };
}

/** The ctl settings of an extended `ctl` reply (undefined for other replies). */
export function m2CtlOf(reply: M2Reply): M2Ctl | undefined {
  if (reply.extended?.name !== "ctl") return undefined;
  const args = reply.extended.args;
  if (!(args instanceof Map)) fail("ctl argument is not a dict");
  const dict = args as Map<string, TnetValue>;
  const ctl: M2Ctl = {};
  const credits = dict.get("credits");
  if (credits !== undefined) {
    if (typeof credits !== "number" || !Number.isSafeInteger(credits) || credits < 0) {
      fail("ctl credits is not a non-negative integer");
    }
    ctl.credits = credits as number;
  }
  if (dict.has("keep-alive")) ctl.keepAlive = true;
  if (dict.has("cancel")) ctl.cancel = true;
  return ctl;
}
