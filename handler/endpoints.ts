/**
 * Parses where to find frontends. A list of frontends separated by `;` or whitespace; each is
 * either `REQUESTS,REPLIES,EVENTS` (three ZeroMQ endpoints) or a host (`HOST`, `tcp://HOST`),
 * meaning the frontend's default ports on it: requests 9997, replies 9996, events 9998.
 */
import { HandlerError } from "./errors.js";
import type { FrontendEndpoints } from "./transport/types.js";

export const DEFAULT_PORTS = { requests: 9997, replies: 9996, events: 9998 } as const;

function checkEndpoint(e: string): string {
  if (!/^(tcp|ipc|inproc):\/\/\S+$/.test(e)) {
    throw new HandlerError("ERR_ENDPOINTS", `not a ZeroMQ endpoint: ${JSON.stringify(e)}`);
  }
  return e;
}

export function parseFrontends(spec: string): FrontendEndpoints[] {
  const items = spec.split(/[;\s]+/).filter((s) => s.length > 0);
  if (items.length === 0) throw new HandlerError("ERR_ENDPOINTS", "no frontend given");
  return items.map((item) => {
    const parts = item.split(",");
    if (parts.length === 3) {
      return {
        requests: checkEndpoint(parts[0]!),
        replies: checkEndpoint(parts[1]!),
        events: checkEndpoint(parts[2]!),
      };
    }
    if (parts.length !== 1) {
      throw new HandlerError(
        "ERR_ENDPOINTS",
        `expected REQUESTS,REPLIES,EVENTS or a host: ${JSON.stringify(item)}`,
      );
    }
    const host = item.replace(/^tcp:\/\//, "");
    if (!/^[\w.-]+$|^\[[0-9a-fA-F:]+\]$/.test(host)) {
      throw new HandlerError("ERR_ENDPOINTS", `not a host name: ${JSON.stringify(item)}`);
    }
    return {
      requests: `tcp://${host}:${DEFAULT_PORTS.requests}`,
      replies: `tcp://${host}:${DEFAULT_PORTS.replies}`,
      events: `tcp://${host}:${DEFAULT_PORTS.events}`,
    };
  });
}
