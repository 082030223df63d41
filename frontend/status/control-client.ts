/**
 * How `ferry status` and `ferry reload` reach a running frontend: its control listener (from
 * `--control URL`, or the config's `control`), with the token from FERRY_CONTROL_TOKEN or the
 * config; or its pid file. The config is read leniently: `ferry reload` must still find the
 * frontend when the file now holds a config that will be refused.
 */
import { request } from "node:http";
import { readConfigFile, type Env } from "../config/load.js";
import { FerryError, isFerryError } from "../errors.js";
import { defaultPidFile } from "../reload/pid-file.js";

export interface CommonOptions {
  config: string | undefined;
  control: string | undefined;
  pidFile: string | undefined;
}

export interface Located {
  /** Base URL of the control listener, when there is one. */
  control: string | undefined;
  token: string | undefined;
  pidFile: string | undefined;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

/** A host to connect to for a listener bound to `host` (a wildcard means this machine). */
function connectHost(host: string): string {
  if (host === "0.0.0.0" || host === "") return "127.0.0.1";
  if (host === "::" || host === "[::]") return "[::1]";
  return host.includes(":") && !host.startsWith("[") ? `[${host}]` : host;
}

export function locate(options: CommonOptions, env: Env): Located {
  const file = options.config ?? (env.FERRY_CONFIG || undefined);
  let raw: Record<string, unknown> = {};
  if (file !== undefined) {
    try {
      const read = readConfigFile(file);
      if (isObject(read)) raw = read;
    } catch {
      // Unreadable or not JSON: --control, --pid-file or the default pid file still work.
    }
  }
  const control = isObject(raw.control) ? raw.control : undefined;
  let url = options.control?.replace(/\/+$/, "");
  if (url === undefined && control !== undefined && typeof control.port === "number") {
    const host = typeof control.host === "string" ? control.host : "127.0.0.1";
    url = `http://${connectHost(host)}:${control.port}`;
  }
  const token =
    env.FERRY_CONTROL_TOKEN ||
    (control !== undefined && typeof control.token === "string" ? control.token : undefined);
  const name = typeof raw.name === "string" ? raw.name : "ferry";
  let pidFile = options.pidFile;
  if (pidFile === undefined && raw.pidFile !== false)
    pidFile = typeof raw.pidFile === "string" ? raw.pidFile : defaultPidFile(name, env);
  return { control: url, token, pidFile };
}

export interface ControlAnswer {
  status: number;
  body: string;
}

/** One request to the control listener. Throws FerryError FERRY_CONTROL_UNREACHABLE. */
export function callControl(
  at: Located,
  method: "GET" | "POST",
  path: string,
  timeoutMs = 30_000,
): Promise<ControlAnswer> {
  const base = at.control;
  if (base === undefined) {
    return Promise.reject(
      new FerryError(
        "FERRY_CONTROL_UNREACHABLE",
        "no control listener: add `control` to the config (--config FILE) or pass --control URL",
      ),
    );
  }
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = {};
    if (at.token) headers.authorization = `Bearer ${at.token}`;
    const req = request(`${base}${path}`, { method, headers, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () =>
        resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }),
      );
      res.on("error", reject);
    });
    req.on("timeout", () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on("error", (err) =>
      reject(
        new FerryError("FERRY_CONTROL_UNREACHABLE", `${base}: ${err.message}`, { cause: err }),
      ),
    );
    req.end();
  });
}

/**
 * One request to the control listener whose answer is JSON: 401 becomes FERRY_CONTROL_TOKEN, a
 * status outside `accepted` FERRY_CONTROL_UNREACHABLE.
 */
export async function callControlJson<T>(
  at: Located,
  method: "GET" | "POST",
  path: string,
  timeoutMs: number,
  accepted: readonly number[] = [200],
): Promise<T> {
  const answer = await callControl(at, method, path, timeoutMs);
  if (answer.status === 401)
    throw new FerryError(
      "FERRY_CONTROL_TOKEN",
      "the control listener needs its token: set FERRY_CONTROL_TOKEN",
    );
  if (!accepted.includes(answer.status))
    throw new FerryError(
      "FERRY_CONTROL_UNREACHABLE",
      `${method} ${path} answered ${answer.status}: ${answer.body.slice(0, 200)}`,
    );
  return JSON.parse(answer.body) as T;
}

/** The line a command prints for an error: `ferry: CODE: message`. */
export function errorLine(err: unknown): string {
  return `ferry: ${isFerryError(err) ? `${err.code}: ` : ""}${(err as Error).message}\n`;
}

/**
 * A command's arguments: the common options, `--help`, then the command's own through `takeOwn`
 * (the index of the last argument it used, or undefined when the argument is not its own). On a
 * usage error, prints it with `usage` and exits 2.
 */
export function parseCommand<T extends CommonOptions>(
  args: string[],
  usage: string,
  own: Omit<T, keyof CommonOptions>,
  takeOwn: (args: string[], i: number, o: T) => number | undefined,
): T {
  const o = { config: undefined, control: undefined, pidFile: undefined, ...own } as T;
  try {
    for (let i = 0; i < args.length; i++) {
      const taken = takeCommonOption(args, i, o) ?? takeOwn(args, i, o);
      if (taken !== undefined) {
        i = taken;
        continue;
      }
      const arg = args[i]!;
      if (arg === "--help" || arg === "-h") {
        process.stdout.write(usage);
        process.exit(0);
      }
      throw new FerryError("FERRY_USAGE", `unknown option ${arg}`);
    }
  } catch (err) {
    process.stderr.write(`ferry: ${(err as Error).message}\n${usage}`);
    process.exit(2);
  }
  return o;
}

/** Options both commands take; the rest is left for the command. */
export function takeCommonOption(
  args: string[],
  i: number,
  into: CommonOptions,
): number | undefined {
  const arg = args[i]!;
  for (const [flag, key] of [
    ["--config", "config"],
    ["--control", "control"],
    ["--pid-file", "pidFile"],
  ] as const) {
    if (arg === flag || (flag === "--config" && arg === "-c")) {
      const value = args[i + 1];
      if (value === undefined) throw new FerryError("FERRY_USAGE", `${flag} needs a value`);
      into[key] = value;
      return i + 1;
    }
    if (arg.startsWith(`${flag}=`)) {
      into[key] = arg.slice(flag.length + 1);
      return i;
    }
  }
  return undefined;
}
