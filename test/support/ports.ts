import { createServer } from "node:net";

/**
 * Ports handed out by this process. The OS may give a just-released port again (it did, under
 * load, to two groups of one config); a port is never handed out twice here.
 */
const handedOut = new Set<number>();

/** A TCP port that was free a moment ago on 127.0.0.1 (the OS picks it; never a fixed number). */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = await osPort();
    if (handedOut.has(port)) continue;
    handedOut.add(port);
    return port;
  }
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
