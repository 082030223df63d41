/**
 * Builds `https.createServer` options from a TLS config: the default key and certificate, plus
 * an SNICallback that picks a per-host secure context. Every file is read and every context built
 * up front, so a bad file fails at start-up, with its config path, and never mid-handshake.
 */
import { readFile } from "node:fs/promises";
import { createSecureContext, type SecureContext, type SecureContextOptions } from "node:tls";
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

/** Everything a listener needs, read and checked: default credentials and SNI contexts. */
export interface TlsMaterial {
  /** Options for the default context (`https.createServer`, `server.setSecureContext`). */
  defaults: SecureContextOptions;
  /** Per-host contexts, keyed by lower-case name or `*.` wildcard. */
  contexts: Map<string, SecureContext>;
}

/**
 * Reads every file of `config` and builds every context; throws TlsConfigError (with `path`
 * prefixing config paths, e.g. "listeners[0].tls") before anything is in use.
 */
export async function loadTlsMaterial(config: TlsConfig, path = "tls"): Promise<TlsMaterial> {
  const ca = config.ca === undefined ? undefined : await readPem(config.ca, `${path}.ca`);
  const main = await loadPair(config, path);
  // Built only to validate the default pair; the server builds its own from `defaults`.
  buildContext(main, config, ca, path);
  const contexts = new Map<string, SecureContext>();
  for (const [name, pair] of Object.entries(config.sni)) {
    const entryPath = `${path}.sni["${name}"]`;
    contexts.set(name, buildContext(await loadPair(pair, entryPath), config, ca, entryPath));
  }
  const defaults: SecureContextOptions = { ...main, minVersion: config.minVersion };
  if (ca !== undefined) defaults.ca = ca;
  return { defaults, contexts };
}

/**
 * `https.createServer(options, app)` options (or `tls.createServer`) for a config that never
 * changes. To reload certificates without a restart, use TlsCredentials instead.
 */
export async function loadTlsServerOptions(
  config: TlsConfig,
  path = "tls",
): Promise<ServerOptions> {
  const { defaults, contexts } = await loadTlsMaterial(config, path);
  const options: ServerOptions = { ...defaults };
  if (contexts.size > 0) {
    options.SNICallback = (serverName, callback) => {
      // undefined: the handshake goes on with the default certificate.
      callback(null, matchServerName(serverName, contexts));
    };
  }
  return options;
}
