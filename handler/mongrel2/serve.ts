/**
 * serveMongrel2(app, { servers }): the same app serve() runs, behind one or more real Mongrel2
 * servers (JSON or tnetstring headers: whatever each server's Handler says, requests are read
 * either way and replies are the same).
 */
import { serve, type ServeOptions } from "../serve.js";
import type { HandlerConnection } from "../connection.js";
import { Mongrel2Transport, type Mongrel2Endpoints } from "./transport.js";

export interface ServeMongrel2Options extends Omit<ServeOptions, "frontends" | "transport"> {
  /** Each Mongrel2 server's send_spec and recv_spec. */
  servers: Mongrel2Endpoints[];
  /** Group name put in requests. Default "mongrel2". */
  group?: string;
}

export function serveMongrel2(app: unknown, options: ServeMongrel2Options): HandlerConnection {
  const { servers, group, ...rest } = options;
  const transport = new Mongrel2Transport(servers, group !== undefined ? { group } : {});
  return serve(app, { ...rest, transport });
}
