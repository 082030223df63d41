import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createServer, type Server } from "node:https";
import { connect } from "node:tls";
import { copyFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { AddressInfo } from "node:net";
import { TlsConfigSchema, TlsCredentials } from "../../../frontend/tls/index.js";
import { tempDir } from "../../support/tmp.js";
import { makeCertificate, type GeneratedCertificate } from "./certificates.js";

const tmp = tempDir("ferry-tls-reload-");
/** The paths the config names; tests copy other certificates over them, as a renewal does. */
const live = { key: join(tmp.path, "live.key"), cert: join(tmp.path, "live.crt") };
const liveSni = { key: join(tmp.path, "sni.key"), cert: join(tmp.path, "sni.crt") };
let first: GeneratedCertificate;
let second: GeneratedCertificate;
let sniFirst: GeneratedCertificate;
let sniSecond: GeneratedCertificate;
let server: Server;
let port: number;
let credentials: TlsCredentials;

function install(from: GeneratedCertificate, to: { key: string; cert: string }): void {
  copyFileSync(from.key, to.key);
  copyFileSync(from.cert, to.cert);
}

function presentedName(servername?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(
      { port, host: "127.0.0.1", servername, rejectUnauthorized: false },
      () => {
        const cn = socket.getPeerCertificate().subject?.CN;
        socket.end();
        resolve(String(cn));
      },
    );
    socket.on("error", reject);
  });
}

beforeAll(async () => {
  first = makeCertificate(tmp.path, "first.test");
  second = makeCertificate(tmp.path, "second.test");
  sniFirst = makeCertificate(tmp.path, "api-first.test", ["api.test"]);
  sniSecond = makeCertificate(tmp.path, "api-second.test", ["api.test"]);
  install(first, live);
  install(sniFirst, liveSni);
  const config = TlsConfigSchema.parse({ ...live, sni: { "api.test": liveSni } });
  credentials = await TlsCredentials.load(config);
  server = createServer(credentials.serverOptions(), (_req, res) => res.end("ok"));
  credentials.attach(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  tmp.cleanup();
});

describe("tls: reloading certificates", () => {
  it("serves renewed default and SNI certificates after reload, without a restart", async () => {
    expect(await presentedName()).toBe("first.test");
    expect(await presentedName("api.test")).toBe("api-first.test");
    install(second, live);
    install(sniSecond, liveSni);
    // Files changed on disk, nothing reloaded yet: still the old ones.
    expect(await presentedName()).toBe("first.test");
    await credentials.reload();
    expect(await presentedName()).toBe("second.test");
    expect(await presentedName("api.test")).toBe("api-second.test");
  });

  it("keeps the running certificates when a reload finds a bad file", async () => {
    const before = await presentedName();
    writeFileSync(live.cert, "truncated during renewal");
    await expect(credentials.reload()).rejects.toMatchObject({
      code: "FERRY_TLS_CREDENTIALS",
      path: "tls",
    });
    expect(await presentedName()).toBe(before);
    install(first, live);
  });

  it("takes a new config: SNI entries added and removed", async () => {
    const extra = makeCertificate(tmp.path, "extra.test");
    await credentials.reload(TlsConfigSchema.parse({ ...live, sni: { "extra.test": extra } }));
    expect(await presentedName("extra.test")).toBe("extra.test");
    expect(await presentedName("api.test")).toBe("first.test");
  });
});
