/**
 * CURVE key handling: Z85, key derivation against libzmq's own, certificate files both ways with
 * pyzmq, each side's loading from environment variables and files, and `ferry keygen`.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import { curveKeyPair } from "zeromq";
import {
  CurveKeyErrorCode,
  formatCertificate,
  generateKeyPair,
  keyPairOf,
  parseCertificate,
  publicKeyOf,
  z85Decode,
  z85Encode,
} from "../../protocol/curve-keys.js";
import {
  exposedEndpoints,
  frontendCurveSourcesFromEnv,
  loadFrontendCurve,
} from "../../frontend/curve.js";
import { handlerCurveSourcesFromEnv, loadHandlerCurve } from "../../handler/curve.js";
import { runKeygen } from "../../frontend/keygen.js";
import { PYTHON } from "../support/processes.js";
import { tempDir } from "../support/tmp.js";

const cleanups: (() => void)[] = [];
function dir(): string {
  const d = tempDir("ferry-keys-");
  cleanups.push(d.cleanup);
  return d.path;
}
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return (err as { code?: string }).code;
  }
  return undefined;
}

describe("Z85 and keys", () => {
  it("matches the Z85 specification's example and round-trips any bytes", () => {
    expect(z85Encode(Buffer.from("864FD26FB559F75B", "hex"))).toBe("HelloWorld");
    expect(z85Decode("HelloWorld").toString("hex")).toBe("864fd26fb559f75b");
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 64 }), (raw) => {
        const bytes = raw.subarray(0, raw.length - (raw.length % 4));
        expect(z85Decode(z85Encode(bytes)).equals(Buffer.from(bytes))).toBe(true);
      }),
    );
    expect(codeOf(() => z85Decode("Hello~orld"))).toBe(CurveKeyErrorCode.Format);
  });

  it("derives the same public key as libzmq, and makes pairs libzmq would", () => {
    for (let i = 0; i < 50; i++) {
      const pair = curveKeyPair();
      expect(publicKeyOf(pair.secretKey)).toBe(pair.publicKey);
    }
    const mine = generateKeyPair();
    expect(publicKeyOf(mine.secretKey)).toBe(mine.publicKey);
    expect(codeOf(() => keyPairOf(mine.secretKey, curveKeyPair().publicKey))).toBe(
      CurveKeyErrorCode.Mismatch,
    );
    expect(codeOf(() => publicKeyOf("short"))).toBe(CurveKeyErrorCode.Format);
  });

  it("reads pyzmq's certificates, and pyzmq reads ours", () => {
    const d = dir();
    const script = [
      "import sys, zmq.auth",
      "pub, sec = zmq.auth.create_certificates(sys.argv[1], 'py')",
      "print(zmq.auth.load_certificate(sec)[0].decode(), zmq.auth.load_certificate(sec)[1].decode())",
      "p, s = zmq.auth.load_certificate(sys.argv[2])",
      "print(p.decode(), s.decode())",
    ].join("\n");
    const ours = generateKeyPair();
    writeFileSync(join(d, "ours.key_secret"), formatCertificate(ours));
    const out = execFileSync(PYTHON, ["-c", script, d, join(d, "ours.key_secret")], {
      encoding: "utf8",
    });
    const [pyPublic, pySecret, readPublic, readSecret] = out.trim().split(/\s+/);
    expect([readPublic, readSecret]).toEqual([ours.publicKey, ours.secretKey]);
    expect(parseCertificate(readFileSync(join(d, "py.key_secret"), "utf8"))).toEqual({
      publicKey: pyPublic,
      secretKey: pySecret,
    });
    expect(parseCertificate(readFileSync(join(d, "py.key"), "utf8"))).toEqual({
      publicKey: pyPublic,
    });
  });
});

describe("frontend CURVE settings", () => {
  const fe = generateKeyPair();
  const h1 = generateKeyPair();
  const h2 = generateKeyPair();

  it("is off with nothing set, and on from environment variables", () => {
    expect(loadFrontendCurve(frontendCurveSourcesFromEnv({}))).toBeUndefined();
    const curve = loadFrontendCurve(
      frontendCurveSourcesFromEnv({
        FERRY_CURVE_SECRET_KEY: fe.secretKey,
        FERRY_CURVE_ALLOW: ` ${h1.publicKey}, ${h2.publicKey}\n`,
      }),
    );
    expect(curve).toEqual({
      publicKey: fe.publicKey,
      secretKey: fe.secretKey,
      allow: new Set([h1.publicKey, h2.publicKey]),
    });
  });

  it("reads a secret certificate, an allow directory, a key list and a single certificate", () => {
    const d = dir();
    writeFileSync(join(d, "frontend.key_secret"), formatCertificate(fe));
    mkdirSync(join(d, "handlers"));
    writeFileSync(join(d, "handlers", "a.key"), formatCertificate({ publicKey: h1.publicKey }));
    writeFileSync(join(d, "handlers", "b.key"), formatCertificate({ publicKey: h2.publicKey }));
    writeFileSync(join(d, "handlers", "b.key_secret"), formatCertificate(h2)); // ignored: not *.key
    writeFileSync(join(d, "list"), `# handlers\n${h1.publicKey}\n\n${h2.publicKey}\n`);
    const fromDir = loadFrontendCurve({
      secretKeyFile: join(d, "frontend.key_secret"),
      allowFile: join(d, "handlers"),
    });
    expect(fromDir?.publicKey).toBe(fe.publicKey);
    expect([...(fromDir?.allow ?? [])].sort()).toEqual([h1.publicKey, h2.publicKey].sort());
    const fromList = loadFrontendCurve({ secretKey: fe.secretKey, allowFile: join(d, "list") });
    expect(fromList?.allow.size).toBe(2);
    const fromCert = loadFrontendCurve({
      secretKey: fe.secretKey,
      allowFile: join(d, "handlers", "a.key"),
    });
    expect([...(fromCert?.allow ?? [])]).toEqual([h1.publicKey]);
  });

  it("refuses half-configured or malformed settings with stable codes", () => {
    expect(codeOf(() => loadFrontendCurve({ allow: h1.publicKey }))).toBe(CurveKeyErrorCode.Source);
    expect(codeOf(() => loadFrontendCurve({ secretKey: fe.secretKey }))).toBe(
      CurveKeyErrorCode.Source,
    );
    expect(
      codeOf(() => loadFrontendCurve({ secretKey: "x".repeat(39), allow: h1.publicKey })),
    ).toBe(CurveKeyErrorCode.Format);
    expect(codeOf(() => loadFrontendCurve({ secretKey: fe.secretKey, allow: "nope" }))).toBe(
      CurveKeyErrorCode.Format,
    );
    expect(
      codeOf(() => loadFrontendCurve({ secretKeyFile: "/nonexistent/f", allow: h1.publicKey })),
    ).toBe(CurveKeyErrorCode.Source);
    const d = dir();
    writeFileSync(join(d, "pub.key"), formatCertificate({ publicKey: fe.publicKey }));
    expect(
      codeOf(() => loadFrontendCurve({ secretKeyFile: join(d, "pub.key"), allow: h1.publicKey })),
    ).toBe(CurveKeyErrorCode.Certificate);
  });

  it("names the endpoints other hosts can reach", () => {
    expect(
      exposedEndpoints([
        "tcp://127.0.0.1:9997",
        "tcp://localhost:1",
        "tcp://[::1]:2",
        "ipc:///tmp/x",
        "inproc://y",
        "tcp://0.0.0.0:9996",
        "tcp://*:9998",
        "tcp://10.1.2.3:5",
        "tcp://eth0:6",
      ]),
    ).toEqual(["tcp://0.0.0.0:9996", "tcp://*:9998", "tcp://10.1.2.3:5", "tcp://eth0:6"]);
  });
});

describe("handler CURVE settings", () => {
  const fe = generateKeyPair();
  const h = generateKeyPair();

  it("is off with nothing set, and on from environment variables or files", () => {
    expect(loadHandlerCurve(handlerCurveSourcesFromEnv({}))).toBeUndefined();
    expect(
      loadHandlerCurve(
        handlerCurveSourcesFromEnv({
          FERRY_CURVE_SECRET_KEY: h.secretKey,
          FERRY_CURVE_SERVER_KEY: fe.publicKey,
        }),
      ),
    ).toEqual({ ...h, serverKey: fe.publicKey });
    const d = dir();
    writeFileSync(join(d, "h.key_secret"), formatCertificate(h));
    writeFileSync(join(d, "fe.key"), formatCertificate({ publicKey: fe.publicKey }));
    writeFileSync(join(d, "bare"), `${h.secretKey}\n`);
    expect(
      loadHandlerCurve({
        secretKeyFile: join(d, "h.key_secret"),
        serverKeyFile: join(d, "fe.key"),
      }),
    ).toEqual({
      ...h,
      serverKey: fe.publicKey,
    });
    expect(
      loadHandlerCurve({ secretKeyFile: join(d, "bare"), serverKey: fe.publicKey })?.publicKey,
    ).toBe(h.publicKey);
  });

  it("refuses half-configured settings", () => {
    expect(codeOf(() => loadHandlerCurve({ serverKey: fe.publicKey }))).toBe(
      CurveKeyErrorCode.Source,
    );
    expect(codeOf(() => loadHandlerCurve({ secretKey: h.secretKey }))).toBe(
      CurveKeyErrorCode.Source,
    );
    expect(codeOf(() => loadHandlerCurve({ secretKey: h.secretKey, serverKey: "bad" }))).toBe(
      CurveKeyErrorCode.Format,
    );
  });
});

describe("ferry keygen", () => {
  const keygen = async (
    argv: string[],
    io: { stdout: (t: string) => void; stderr: (t: string) => void },
  ) => runKeygen(argv.slice(1), io);
  function capture() {
    const io = {
      out: "",
      err: "",
      stdout: (t: string) => void (io.out += t),
      stderr: (t: string) => void (io.err += t),
    };
    return io;
  }

  it("prints a key pair as environment variables", async () => {
    const io = capture();
    expect(await keygen(["keygen"], io)).toBe(0);
    const env = Object.fromEntries(
      io.out
        .trim()
        .split("\n")
        .map((line) => line.split(/=(.*)/s).slice(0, 2)),
    );
    expect(publicKeyOf(env.FERRY_CURVE_SECRET_KEY)).toBe(env.FERRY_CURVE_PUBLIC_KEY);
  });

  it("writes certificates both sides load, and never overwrites without --force", async () => {
    const d = dir();
    const io = capture();
    expect(await keygen(["keygen", "--out", join(d, "fe")], io)).toBe(0);
    expect(await keygen(["keygen", "--out", join(d, "h")], io)).toBe(0);
    expect(statSync(join(d, "fe.key_secret")).mode & 0o777).toBe(0o600);
    const frontend = loadFrontendCurve({
      secretKeyFile: join(d, "fe.key_secret"),
      allowFile: join(d, "h.key"),
    });
    const handler = loadHandlerCurve({
      secretKeyFile: join(d, "h.key_secret"),
      serverKeyFile: join(d, "fe.key"),
    });
    expect(frontend?.allow.has(handler!.publicKey)).toBe(true);
    expect(handler?.serverKey).toBe(frontend?.publicKey);
    expect(io.out).toContain(`public key ${frontend?.publicKey}`);

    const before = readFileSync(join(d, "fe.key_secret"), "utf8");
    const again = capture();
    expect(await keygen(["keygen", "--out", join(d, "fe")], again)).toBe(1);
    expect(again.err).toContain("--force");
    expect(readFileSync(join(d, "fe.key_secret"), "utf8")).toBe(before);
    expect(await keygen(["keygen", "--out", join(d, "fe"), "--force"], again)).toBe(0);
    expect(readFileSync(join(d, "fe.key_secret"), "utf8")).not.toBe(before);
  });

  it("rejects unknown options with exit code 2", async () => {
    const io = capture();
    expect(await keygen(["keygen", "--nope"], io)).toBe(2);
    expect(io.err).toContain("usage: ferry keygen");
  });
});
