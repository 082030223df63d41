/**
 * The frontend's CURVE settings: its own key pair and the handler public keys it lets in, read
 * from environment variables or files. CURVE is on when a secret key is given; then every link
 * socket is a CURVE server and the ZAP authenticator (zap.ts) admits only the allowed keys.
 *
 *   FERRY_CURVE_SECRET_KEY        the frontend's secret key (Z85), or
 *   FERRY_CURVE_SECRET_KEY_FILE   its secret certificate (`ferry keygen --out PREFIX` -> PREFIX.key_secret)
 *   FERRY_CURVE_ALLOW             handler public keys, separated by commas or white space
 *   FERRY_CURVE_ALLOW_FILE        a public certificate, a file of keys (one a line; lines that
 *                                 start with # are comments),
 *                                 or a directory whose *.key files are public certificates
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import {
  CurveKeyError,
  CurveKeyErrorCode,
  checkKey,
  keyPairFromText,
  keyPairOf,
  publicKeyFromText,
} from "../protocol/curve-keys.js";

export { CurveKeyError, CurveKeyErrorCode } from "../protocol/curve-keys.js";

/** What the frontend's transport needs to run its links over CURVE. */
export interface FrontendCurve {
  readonly publicKey: string;
  readonly secretKey: string;
  /** Public keys (Z85) of the handlers allowed to connect. */
  readonly allow: ReadonlySet<string>;
}

export interface FrontendCurveSources {
  secretKey?: string | undefined;
  secretKeyFile?: string | undefined;
  allow?: string | undefined;
  allowFile?: string | undefined;
}

export function frontendCurveSourcesFromEnv(
  env: NodeJS.ProcessEnv = process.env,
): FrontendCurveSources {
  return {
    secretKey: nonEmpty(env.FERRY_CURVE_SECRET_KEY),
    secretKeyFile: nonEmpty(env.FERRY_CURVE_SECRET_KEY_FILE),
    allow: nonEmpty(env.FERRY_CURVE_ALLOW),
    allowFile: nonEmpty(env.FERRY_CURVE_ALLOW_FILE),
  };
}

/**
 * The CURVE settings, or undefined when no secret key is given (plain links). Throws CurveKeyError
 * on anything half-configured: a secret with no allowed key would let no handler in, and an
 * allow-list with no secret would silently run plain.
 */
export function loadFrontendCurve(sources: FrontendCurveSources): FrontendCurve | undefined {
  const hasAllow = sources.allow !== undefined || sources.allowFile !== undefined;
  if (sources.secretKey === undefined && sources.secretKeyFile === undefined) {
    if (hasAllow)
      throw sourceError("an allow-list of handler keys is set but no secret key for the frontend");
    return undefined;
  }
  if (sources.secretKey !== undefined && sources.secretKeyFile !== undefined) {
    throw sourceError("set the secret key or the secret key file, not both");
  }
  const pair =
    sources.secretKey !== undefined
      ? keyPairOf(checkKey(sources.secretKey, "FERRY_CURVE_SECRET_KEY"))
      : keyPairFromText(readText(sources.secretKeyFile!), sources.secretKeyFile!);
  const allow = new Set<string>();
  if (sources.allow !== undefined) {
    for (const key of sources.allow.split(/[\s,]+/).filter(Boolean))
      allow.add(checkKey(key, "FERRY_CURVE_ALLOW"));
  }
  if (sources.allowFile !== undefined)
    for (const key of readAllowFile(sources.allowFile)) allow.add(key);
  if (allow.size === 0) throw sourceError("CURVE is on but no handler public key is allowed");
  return Object.freeze({ ...pair, allow });
}

/** Public keys from a certificate, a list file, or a directory of `*.key` certificates. */
export function readAllowFile(path: string): string[] {
  let isDirectory: boolean;
  try {
    isDirectory = statSync(path).isDirectory();
  } catch (err) {
    throw sourceError(`${path}: ${(err as Error).message}`);
  }
  if (isDirectory) {
    return readdirSync(path)
      .filter((name) => name.endsWith(".key"))
      .sort()
      .map((name) => publicKeyFromText(readText(join(path, name)), join(path, name)));
  }
  const text = readText(path);
  if (/public-key\s*=/.test(text)) return [publicKeyFromText(text, path)];
  return text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== "" && !line.startsWith("#")) // '#' is a Z85 digit: whole-line comments only
    .map((line) => checkKey(line, path));
}

/**
 * The tcp (or other network) endpoints in `endpoints` that other hosts may reach: anything but
 * ipc://, inproc:// and loopback addresses. Binding these without CURVE lets whoever reaches them
 * take requests or inject replies, so the frontend warns about them.
 */
export function exposedEndpoints(endpoints: readonly string[]): string[] {
  return endpoints.filter((endpoint) => {
    const match = /^([a-z+]+):\/\/(.*)$/.exec(endpoint);
    if (!match) return false;
    const [, transport, rest] = match;
    if (transport === "ipc" || transport === "inproc") return false;
    const host = (rest ?? "")
      .replace(/^.*;/, "")
      .replace(/:\d+$|:\*$/, "")
      .replace(/^\[|\]$/g, "");
    return !isLoopback(host);
  });
}

function isLoopback(host: string): boolean {
  return (
    host === "localhost" || host === "lo" || host === "::1" || /^127\.\d+\.\d+\.\d+$/.test(host)
  );
}

function readText(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (err) {
    throw sourceError(`${path}: ${(err as Error).message}`);
  }
}

function sourceError(message: string): CurveKeyError {
  return new CurveKeyError(CurveKeyErrorCode.Source, message);
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === "" ? undefined : value;
}
