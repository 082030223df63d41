/** A node:http server on a free loopback port running one route handler, and a raw-socket client. */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { connect } from "node:net";
import type { AddressInfo } from "node:net";

export interface TestServer {
  server: Server;
  origin: string;
  port: number;
  close(): Promise<void>;
}

export async function serveHandler(
  handler: (req: IncomingMessage, res: ServerResponse) => void | Promise<void>,
): Promise<TestServer> {
  const server = createServer((req, res) => void handler(req, res));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    server,
    port,
    origin: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export interface RawResponse {
  status: number;
  head: string;
  headers: Map<string, string>;
  body: Buffer;
}

/**
 * Sends `target` byte for byte (no client-side normalisation of `..` or `%2e`, unlike fetch) and
 * reads the response until the server closes the connection.
 */
export function rawGet(port: number, target: string, extraHeaders = ""): Promise<RawResponse> {
  return rawRequest(
    port,
    `GET ${target} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n${extraHeaders}\r\n`,
  );
}

/** Writes `head` (a whole request, as latin1) and reads until the server closes. */
export function rawRequest(port: number, head: string): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1");
    const chunks: Buffer[] = [];
    socket.on("data", (c: Buffer) => chunks.push(c));
    socket.on("error", reject);
    socket.on("end", () => {
      const all = Buffer.concat(chunks);
      const split = all.indexOf("\r\n\r\n");
      if (split === -1) {
        reject(new Error(`no response head: ${JSON.stringify(all.toString("latin1"))}`));
        return;
      }
      const head = all.subarray(0, split).toString("latin1");
      const [statusLine = "", ...lines] = head.split("\r\n");
      const headers = new Map<string, string>();
      for (const line of lines) {
        const colon = line.indexOf(":");
        headers.set(line.slice(0, colon).toLowerCase(), line.slice(colon + 1).trim());
      }
      resolve({
        status: Number(statusLine.split(" ")[1]),
        head,
        headers,
        body: all.subarray(split + 4),
      });
    });
    socket.write(Buffer.from(head, "latin1"));
  });
}
