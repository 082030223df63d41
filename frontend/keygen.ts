/**
 * `ferry keygen`: makes a CURVE key pair for a frontend or a handler.
 *
 *   ferry keygen                   prints FERRY_CURVE_PUBLIC_KEY=... and FERRY_CURVE_SECRET_KEY=...
 *   ferry keygen --out PREFIX      writes PREFIX.key (public certificate, give it to peers) and
 *                                  PREFIX.key_secret (secret certificate, mode 0600); never
 *                                  overwrites unless --force
 *
 * The certificates are in the CZMQ/pyzmq format, so `zmq.auth.load_certificate` reads them too.
 */
import { existsSync, writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { formatCertificate, generateKeyPair } from "../protocol/curve-keys.js";

const USAGE = `usage: ferry keygen [--out PREFIX] [--force]

Makes a CURVE key pair. Without --out, prints it as environment variables.
  --out PREFIX   write PREFIX.key (public) and PREFIX.key_secret (secret, mode 0600)
  --force        overwrite existing files
`;

export interface KeygenIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

const processIo: KeygenIo = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
};

/** The CLI entry (`bin/ferry.js keygen ...`): runs the command and sets the exit code. */
export async function main(argv: string[]): Promise<void> {
  process.exitCode = runKeygen(argv[0] === "keygen" ? argv.slice(1) : argv, processIo);
}

/** Runs `ferry keygen` with these arguments (after "keygen"); returns the exit code. */
export function runKeygen(args: string[], io: KeygenIo): number {
  let values: { out?: string | undefined; force?: boolean | undefined; help?: boolean | undefined };
  try {
    ({ values } = parseArgs({
      args,
      options: {
        out: { type: "string" },
        force: { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
    }));
  } catch (err) {
    io.stderr(`ferry keygen: ${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    io.stdout(USAGE);
    return 0;
  }
  const pair = generateKeyPair();
  if (values.out === undefined) {
    io.stdout(
      `FERRY_CURVE_PUBLIC_KEY=${pair.publicKey}\nFERRY_CURVE_SECRET_KEY=${pair.secretKey}\n`,
    );
    return 0;
  }
  const publicPath = `${values.out}.key`;
  const secretPath = `${values.out}.key_secret`;
  const existing = [publicPath, secretPath].filter((path) => existsSync(path));
  if (existing.length > 0 && !values.force) {
    io.stderr(
      `ferry keygen: ${existing.join(" and ")} already exist${existing.length === 1 ? "s" : ""} (use --force to overwrite)\n`,
    );
    return 1;
  }
  const flag = values.force ? "w" : "wx"; // "wx" also fails if the file appeared meanwhile
  try {
    writeFileSync(secretPath, formatCertificate(pair), { mode: 0o600, flag });
    writeFileSync(publicPath, formatCertificate({ publicKey: pair.publicKey }), {
      mode: 0o644,
      flag,
    });
  } catch (err) {
    io.stderr(`ferry keygen: ${(err as Error).message}\n`);
    return 1;
  }
  io.stdout(
    `public key ${pair.publicKey}\nwrote ${publicPath} (public) and ${secretPath} (secret)\n`,
  );
  return 0;
}
