/**
 * The warning a handler gives when a frontend speaks another protocol version. Every message of
 * such a frontend is dropped, so without a throttle one misconfigured peer would fill the log:
 * one warning per frontend and version a minute, with the count of those held back.
 */
import { PROTOCOL_VERSION } from "../protocol/index.js";
import { Throttle } from "./throttle.js";

export interface VersionMismatch {
  /** The frontend's id, when its message had one. */
  fid: string | undefined;
  /** The version it speaks. */
  version: number;
  /** Messages like it dropped since the last report. */
  held: number;
  /** One line for a log, saying what to upgrade. */
  message: string;
}

/** What a frontend of an older version does not send, for the warning. */
const LACKS: Readonly<Record<number, string>> = { 1: "token, port, v:2" };

function versionMessage(fid: string | undefined, version: number): string {
  const who = fid === undefined ? "a frontend" : `frontend ${fid}`;
  return (
    `${who} speaks Ferry protocol v${version}; this handler speaks v${PROTOCOL_VERSION} ` +
    `(needs ${LACKS[version] ?? `v:${PROTOCOL_VERSION}`}): upgrade the frontend`
  );
}

export class VersionWarnings {
  private readonly throttle = new Throttle(60_000);

  /** The warning to report for a message of `version` from `fid`, or undefined: held back. */
  next(fid: string | undefined, version: number): VersionMismatch | undefined {
    const held = this.throttle.pass(`${fid ?? ""}\n${version}`);
    if (held < 0) return undefined;
    return { fid, version, held, message: versionMessage(fid, version) };
  }
}
