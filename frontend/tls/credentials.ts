/**
 * TLS credentials that can be reloaded while the listener runs (certificate renewal without a
 * restart). A reload reads and checks everything first and swaps only on success, so a bad file
 * leaves the running certificates in place. Connections already open keep their certificate.
 */
import type { Server as TlsServer } from "node:tls";
import type { ServerOptions } from "node:https";
import type { TlsConfig } from "./config.js";
import { loadTlsMaterial, type TlsMaterial } from "./server-options.js";
import { matchServerName } from "./server-names.js";

export class TlsCredentials {
  private readonly servers = new Set<TlsServer>();

  private constructor(
    private material: TlsMaterial,
    private config: TlsConfig,
    /** Config path prefix for errors, e.g. "listeners[0].tls". */
    readonly path: string,
  ) {}

  static async load(config: TlsConfig, path = "tls"): Promise<TlsCredentials> {
    return new TlsCredentials(await loadTlsMaterial(config, path), config, path);
  }

  /** Options for `https.createServer`; the SNI lookup always sees the latest reload. */
  serverOptions(): ServerOptions {
    return {
      ...this.material.defaults,
      SNICallback: (serverName, callback) => {
        callback(null, matchServerName(serverName, this.material.contexts));
      },
    };
  }

  /** Servers whose default certificate a reload replaces (`setSecureContext`). */
  attach(server: TlsServer): void {
    this.servers.add(server);
    server.once("close", () => this.servers.delete(server));
  }

  /**
   * Reads the files again (of `config`, or of the config loaded last) and swaps them in for new
   * connections. Throws TlsConfigError and changes nothing when a file is missing or bad.
   */
  async reload(config: TlsConfig = this.config): Promise<void> {
    const material = await loadTlsMaterial(config, this.path);
    this.material = material;
    this.config = config;
    for (const server of this.servers) server.setSecureContext(material.defaults);
  }
}
