/**
 * Where the config comes from: a JSON file (`--config FILE` or FERRY_CONFIG) or the built-in
 * default, then environment overrides (for containers), then validation.
 */
import { readFileSync } from "node:fs";
import { ConfigError, FerryError } from "../errors.js";
import { DEFAULT_CONFIG } from "./defaults.js";
import type { Config } from "./schema.js";
import { validateConfig } from "./validate.js";

export type Env = Readonly<Record<string, string | undefined>>;

/** Read and parse a JSON config file. Throws FerryError FERRY_CONFIG_READ. */
export function readConfigFile(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    throw new FerryError("FERRY_CONFIG_READ", `${file}: ${(err as Error).message}`, { cause: err });
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new FerryError(
      "FERRY_CONFIG_READ",
      `${file}: not valid JSON: ${(err as Error).message}`,
      { cause: err },
    );
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

/**
 * Apply FERRY_HOST / FERRY_PORT (first listener) and FERRY_REQUESTS / FERRY_REPLIES /
 * FERRY_EVENTS (first group in file order) to a raw config. Returns a copy; a bad value is
 * reported by validation under the path it lands on, named after its variable.
 */
export function applyEnv(raw: unknown, env: Env): unknown {
  if (!isObject(raw)) return raw;
  const out = structuredClone(raw);
  const problems = [];
  const { FERRY_HOST: host, FERRY_PORT: port } = env;
  if (host !== undefined || port !== undefined) {
    const listeners = Array.isArray(out.listeners) ? out.listeners : (out.listeners = [{}]);
    if (listeners.length === 0) listeners.push({});
    const first: unknown = listeners[0];
    if (isObject(first)) {
      if (host !== undefined) first.host = host;
      if (port !== undefined) {
        if (!/^\d{1,5}$/.test(port))
          problems.push({
            path: "listeners[0].port",
            message: `FERRY_PORT="${port}" is not a port number`,
          });
        else first.port = Number(port);
      }
    }
  }
  const endpoints = {
    requests: env.FERRY_REQUESTS,
    replies: env.FERRY_REPLIES,
    events: env.FERRY_EVENTS,
  };
  if (Object.values(endpoints).some((v) => v !== undefined) && isObject(out.groups)) {
    const firstName = Object.keys(out.groups)[0];
    const group = firstName === undefined ? undefined : out.groups[firstName];
    if (isObject(group)) {
      for (const [key, value] of Object.entries(endpoints))
        if (value !== undefined) group[key] = value;
    }
  }
  if (problems.length > 0) throw new ConfigError(problems, "environment");
  return out;
}

export interface LoadOptions {
  /** Config file; falls back to env.FERRY_CONFIG, then to the built-in default. */
  file?: string | undefined;
  env?: Env;
}

/** The effective, validated, frozen config of a frontend process. */
export function loadConfig(options: LoadOptions = {}): { config: Config; source: string } {
  const env = options.env ?? {};
  const file = options.file ?? (env.FERRY_CONFIG || undefined);
  const raw = file === undefined ? structuredClone(DEFAULT_CONFIG) : readConfigFile(file);
  return { config: validateConfig(applyEnv(raw, env), file), source: file ?? "built-in default" };
}

/** `ferry check FILE`: the file alone, no environment. Throws FerryError / ConfigError. */
export function checkConfigFile(file: string): Config {
  return validateConfig(readConfigFile(file), file);
}
