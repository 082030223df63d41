/**
 * Builds `https.createServer` options from a TLS config: the default key and certificate, plus
 * an SNICallback that picks a per-host secure context. Every file is read and every context built
 * up front, so a bad file fails at start-up, with its config path, and never mid-handshake.
 */
import { readFile } from "node:fs/promises";
import { createSecureContext, type SecureContext } from "node:tls";
import type { ServerOptions } from "node:https";
import type { CertificatePair, TlsConfig } from "./config.js";
import { TlsConfigError, TlsErrorCode } from "./errors.js";
import { matchServerName } from "./server-names.js";

interface LoadedPair {
  key: Buffer;
  cert: Buffer;
  passphrase?: string;
}

async function readPem(file: string, path: string): Promise<Buffer> {
  try {
    return await readFile(file);
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code ?? "unreadable";
    throw new TlsConfigError(TlsErrorCode.FileUnreadable, `cannot read ${file} (${reason})`, path, {
      cause: err,
    });
  }
}

async function loadPair(pair: CertificatePair, path: string): Promise<LoadedPair> {
  const [key, cert] = await Promise.all([
    readPem(pair.key, `${path}.key`),
    readPem(pair.cert, `${path}.cert`),
  ]);
  return pair.passphrase === undefined ? { key, cert } : { key, cert, passphrase: pair.passphrase };
}

function buildContext(
  pair: LoadedPair,
  config: TlsConfig,
  ca: Buffer | undefined,
  path: string,
): SecureContext {
  try {
    return createSecureContext({ ...pair, ca, minVersion: config.minVersion });
  } catch (err) {
    throw new TlsConfigError(TlsErrorCode.BadCredentials, (err as Error).message, path, {
      cause: err,
    });
  }
}

/**
 * `path` prefixes config paths in errors (e.g. "listeners[0].tls"). The result goes straight to
 * `https.createServer(options, app)` (or `tls.createServer`).
 */
export async function loadTlsServerOptions(
  config: TlsConfig,
  path = "tls",
): Promise<ServerOptions> {
  const ca = config.ca === undefined ? undefined : await readPem(config.ca, `${path}.ca`);
  const main = await loadPair(config, path);
  // Built only to validate the default pair; Node builds its own context from the options.
  buildContext(main, config, ca, path);
  const contexts = new Map<string, SecureContext>();
  for (const [name, pair] of Object.entries(config.sni)) {
    const entryPath = `${path}.sni["${name}"]`;
    contexts.set(name, buildContext(await loadPair(pair, entryPath), config, ca, entryPath));
  }
  const options: ServerOptions = { ...main, minVersion: config.minVersion };
  if (ca !== undefined) options.ca = ca;
  if (contexts.size > 0) {
    options.SNICallback = (serverName, callback) => {
      // undefined: the handshake goes on with the default certificate.
      callback(null, matchServerName(serverName, contexts));
    };
  }
  return options;
}
