import { createServer } from "node:net";
import { mkdirSync, openSync, closeSync, statSync, utimesSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/**
 * Test files run in parallel processes, and each asks the OS for a free port, closes it, and
 * hands it to a server started a moment later. The OS may give that just-released port to the
 * next asker (it did, under load, to two groups of one config; nothing stops it from doing so
 * to two test files). So a port handed out is also claimed by a file in a directory every test
 * process shares; a claim older than CLAIM_TTL_MS is stale (a run long over) and may be taken
 * again.
 */
const CLAIMS = join(tmpdir(), `ferry-test-ports-${process.getuid?.() ?? 0}`);
const CLAIM_TTL_MS = 15 * 60_000;
const handedOut = new Set<number>();

/** A TCP port that was free a moment ago on 127.0.0.1 (the OS picks it; never a fixed number). */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = await osPort();
    if (handedOut.has(port) || !claim(port)) continue;
    handedOut.add(port);
    return port;
  }
}

/** True when this process now holds `port`'s claim: no other test process had a live one. */
function claim(port: number): boolean {
  mkdirSync(CLAIMS, { recursive: true });
  const file = join(CLAIMS, String(port));
  try {
    closeSync(openSync(file, "wx"));
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
  }
  let age: number;
  try {
    age = Date.now() - statSync(file).mtimeMs;
  } catch {
    return false; // removed meanwhile: let the next round decide
  }
  if (age < CLAIM_TTL_MS) return false;
  const now = new Date();
  utimesSync(file, now, now);
  return true;
}

function osPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      if (address === null || typeof address === "string") {
        server.close();
        reject(new Error("no port"));
        return;
      }
      server.close(() => resolve(address.port));
    });
  });
}

/** Several distinct free ports. */
export async function freePorts(n: number): Promise<number[]> {
  const ports: number[] = [];
  while (ports.length < n) ports.push(await freePort());
  return ports;
}
