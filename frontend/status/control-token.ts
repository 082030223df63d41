/**
 * The control listener's token rule: on a loopback address no token is needed (one may still be
 * set); anywhere else one is required, from the config's control.token or FERRY_CONTROL_TOKEN.
 * Checked before the frontend binds anything, so a refused start leaves nothing behind.
 */
import { isIP } from "node:net";
import type { Env } from "../config/load.js";
import { ConfigError } from "../errors.js";

/** 127.0.0.0/8, ::1 and "localhost": only this machine can reach the listener. */
export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, "").toLowerCase();
  if (h === "localhost" || h === "::1" || h === "::ffff:127.0.0.1") return true;
  return isIP(h) === 4 && h.startsWith("127.");
}

/** The token in force for a control listener; throws ConfigError when one is required and missing. */
export function controlToken(
  control: { host: string; token?: string | undefined },
  env: Env,
): string | undefined {
  const token = control.token ?? (env.FERRY_CONTROL_TOKEN || undefined);
  if (token === undefined && !isLoopback(control.host)) {
    throw new ConfigError([
      {
        path: "control.token",
        message: `required when control.host (${control.host}) is not a loopback address: set it, or FERRY_CONTROL_TOKEN`,
      },
    ]);
  }
  return token;
}
