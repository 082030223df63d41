/**
 * The CLI's mongrel2 mode: `ferry handler MODULE --protocol mongrel2 --send-spec S --recv-spec R`
 * (several servers: repeat both options, paired in order), or `--connect SEND,RECV[;...]` (a
 * third endpoint, as in Ferry's REQUESTS,REPLIES,EVENTS, is ignored: Mongrel2 has no events
 * socket). Environment: FERRY_PROTOCOL, FERRY_SEND_SPEC, FERRY_RECV_SPEC (";"-separated lists).
 * `--mongrel2-chroot DIR` (FERRY_MONGREL2_CHROOT): the directory a chrooted Mongrel2 runs in,
 * which the paths of its spooled uploads are relative to.
 */
import { HandlerError } from "../errors.js";
import type { Mongrel2Endpoints } from "./transport.js";

export const MONGREL2_OPTIONS = {
  protocol: { type: "string" },
  "send-spec": { type: "string", multiple: true },
  "recv-spec": { type: "string", multiple: true },
  "mongrel2-chroot": { type: "string" },
} as const;

export const MONGREL2_USAGE = `  --protocol ferry|mongrel2   mongrel2: serve behind a Mongrel2 server (default ferry)
  --send-spec ENDPOINT   Mongrel2 Handler send_spec (we PULL), with --protocol mongrel2
  --recv-spec ENDPOINT   Mongrel2 Handler recv_spec (we PUB); repeat both for several servers
                         (or --connect SEND_SPEC,RECV_SPEC)
  --mongrel2-chroot DIR  the directory a chrooted Mongrel2 runs in (chroot="./": where it
                         was started); spooled uploads are under it (FERRY_MONGREL2_CHROOT)
`;

interface Values {
  protocol?: string | undefined;
  "send-spec"?: string[] | undefined;
  "recv-spec"?: string[] | undefined;
  "mongrel2-chroot"?: string | undefined;
}

const list = (v: string | undefined) => (v ? v.split(";").filter((s) => s.length > 0) : []);
const ENDPOINT = /^(tcp|ipc|inproc):\/\/\S+$/;

/** The Mongrel2 servers to serve behind, or undefined in Ferry mode. */
export function mongrel2Servers(
  values: Values,
  env: NodeJS.ProcessEnv,
  connect?: string,
): Mongrel2Endpoints[] | undefined {
  const protocol = values.protocol ?? env.FERRY_PROTOCOL ?? "ferry";
  if (protocol === "ferry" || protocol === "") return undefined;
  if (protocol !== "mongrel2") {
    throw new HandlerError(
      "ERR_USAGE",
      `--protocol must be ferry or mongrel2, got ${JSON.stringify(protocol)}`,
    );
  }
  let send = values["send-spec"] ?? list(env.FERRY_SEND_SPEC);
  let recv = values["recv-spec"] ?? list(env.FERRY_RECV_SPEC);
  if (send.length === 0 && recv.length === 0 && connect) {
    const pairs = connect
      .split(/[;\s]+/)
      .filter((s) => s.length > 0)
      .map((item) => item.split(","));
    if (pairs.some((p) => p.length < 2 || p.length > 3)) {
      throw new HandlerError(
        "ERR_USAGE",
        `--connect in mongrel2 mode is SEND_SPEC,RECV_SPEC: ${JSON.stringify(connect)}`,
      );
    }
    send = pairs.map((p) => p[0]!);
    recv = pairs.map((p) => p[1]!);
  }
  if (send.length === 0 || send.length !== recv.length) {
    throw new HandlerError(
      "ERR_USAGE",
      "--protocol mongrel2 needs --send-spec and --recv-spec, as many of each",
    );
  }
  for (const e of [...send, ...recv]) {
    if (!ENDPOINT.test(e))
      throw new HandlerError("ERR_USAGE", `not a ZeroMQ endpoint: ${JSON.stringify(e)}`);
  }
  return send.map((sendSpec, i) => ({ sendSpec, recvSpec: recv[i]! }));
}

/** The chrooted Mongrel2's directory, if one was named (mongrel2 mode only). */
export function mongrel2Chroot(values: Values, env: NodeJS.ProcessEnv): string | undefined {
  const dir = values["mongrel2-chroot"] ?? env.FERRY_MONGREL2_CHROOT;
  return dir === undefined || dir === "" ? undefined : dir;
}

/** How the ready line names the servers a handler serves behind. */
export function describeServers(servers: readonly Mongrel2Endpoints[]): string[] {
  return servers.map((s) => `${s.sendSpec},${s.recvSpec}`);
}
