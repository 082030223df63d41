/**
 * A handler's CURVE settings: its own key pair and the frontend's public key, read from
 * environment variables or files. CURVE is on when the frontend's key is given; then every link
 * socket is a CURVE client, and the frontend admits the handler only if its public key is on the
 * frontend's allow-list.
 *
 *   FERRY_CURVE_SECRET_KEY        the handler's secret key (Z85), or
 *   FERRY_CURVE_SECRET_KEY_FILE   its secret certificate (`ferry keygen --out PREFIX` -> PREFIX.key_secret)
 *   FERRY_CURVE_SERVER_KEY        the frontend's public key (Z85), or
 *   FERRY_CURVE_SERVER_KEY_FILE   the frontend's public certificate (PREFIX.key)
 *
 * Every frontend a handler connects to must then use that same key pair (one key per fleet).
 */
import { readFileSync } from "node:fs";
import {
  CurveKeyError,
  CurveKeyErrorCode,
  checkKey,
  keyPairFromText,
  keyPairOf,
  publicKeyFromText,
} from "../protocol/curve-keys.js";

export { CurveKeyError, CurveKeyErrorCode } from "../protocol/curve-keys.js";

/** What the handler's transport needs to run its links over CURVE (zeromq socket options). */
export interface HandlerCurve {
  readonly publicKey: string;
  readonly secretKey: string;
  /** The frontend's public key. */
  readonly serverKey: string;
}

export interface HandlerCurveSources {
  secretKey?: string | undefined;
  secretKeyFile?: string | undefined;
  serverKey?: string | undefined;
  serverKeyFile?: string | undefined;
}

export function handlerCurveSourcesFromEnv(
  env: NodeJS.ProcessEnv = process.env,
): HandlerCurveSources {
  return {
    secretKey: nonEmpty(env.FERRY_CURVE_SECRET_KEY),
    secretKeyFile: nonEmpty(env.FERRY_CURVE_SECRET_KEY_FILE),
    serverKey: nonEmpty(env.FERRY_CURVE_SERVER_KEY),
    serverKeyFile: nonEmpty(env.FERRY_CURVE_SERVER_KEY_FILE),
  };
}

/**
 * The CURVE settings, or undefined when nothing is set (plain links). Throws CurveKeyError when
 * half-configured: a frontend key with no key pair of our own, or a key pair with no frontend key.
 */
export function loadHandlerCurve(sources: HandlerCurveSources): HandlerCurve | undefined {
  const hasSecret = sources.secretKey !== undefined || sources.secretKeyFile !== undefined;
  const hasServer = sources.serverKey !== undefined || sources.serverKeyFile !== undefined;
  if (!hasSecret && !hasServer) return undefined;
  if (!hasSecret)
    throw sourceError("the frontend's public key is set but no secret key for the handler");
  if (!hasServer)
    throw sourceError(
      "a secret key is set but not the frontend's public key (FERRY_CURVE_SERVER_KEY)",
    );
  if (sources.secretKey !== undefined && sources.secretKeyFile !== undefined) {
    throw sourceError("set the secret key or the secret key file, not both");
  }
  if (sources.serverKey !== undefined && sources.serverKeyFile !== undefined) {
    throw sourceError("set the frontend's key or its key file, not both");
  }
  const pair =
    sources.secretKey !== undefined
      ? keyPairOf(checkKey(sources.secretKey, "FERRY_CURVE_SECRET_KEY"))
      : keyPairFromText(readText(sources.secretKeyFile!), sources.secretKeyFile!);
  const serverKey =
    sources.serverKey !== undefined
      ? checkKey(sources.serverKey, "FERRY_CURVE_SERVER_KEY")
      : publicKeyFromText(readText(sources.serverKeyFile!), sources.serverKeyFile!);
  return Object.freeze({ ...pair, serverKey });
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
