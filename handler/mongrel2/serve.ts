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
  /**
   * The directory Mongrel2 chroots to, when it runs chrooted (`chroot="./"` as root): the paths
   * of spooled uploads (`x-mongrel2-upload-done`) are relative to it. Default: none.
   */
  chroot?: string;
}

export function serveMongrel2(app: unknown, options: ServeMongrel2Options): HandlerConnection {
  const { servers, group, chroot, ...rest } = options;
  const transport = new Mongrel2Transport(servers, {
    ...(group !== undefined && { group }),
    ...(chroot !== undefined && { chroot }),
  });
  return serve(app, { ...rest, transport });
}
