/**
 * Reads back what a Node ServerResponse writes to its socket: the status line (status and
 * reason phrase) and headers, their names in the case the app wrote them, then the body,
 * de-chunked when Node chose chunked encoding. 1xx interim responses are skipped (the frontend
 * talks to the client). Trailers are dropped (the protocol has none).
 */
import type { HeaderPair } from "../../protocol/index.js";

const HOP_BY_HOP = new Set(["connection", "keep-alive", "transfer-encoding"]);
const CRLF = Buffer.from("\r\n");
const HEAD_END = Buffer.from("\r\n\r\n");

type State = "head" | "raw" | "size" | "data" | "data-crlf" | "trailer" | "done";

export class ResponseParser {
  private state: State = "head";
  private pending: Buffer | undefined;
  private remaining = 0;

  constructor(
    /**
     * `lengthless`: the response declares no length and must not get one: Node chose chunked
     * framing, or sent none at all (a HEAD response, a close-delimited HTTP/1.0 one).
     */
    private readonly onHead: (
      status: number,
      headers: HeaderPair[],
      lengthless: boolean,
      reason: string,
    ) => void,
    private readonly onBody: (chunk: Buffer) => void,
  ) {}

  push(input: Buffer): void {
    let buf = this.pending ? Buffer.concat([this.pending, input]) : input;
    this.pending = undefined;
    while (buf.length > 0) {
      switch (this.state) {
        case "head": {
          const end = buf.indexOf(HEAD_END);
          if (end < 0) return void (this.pending = buf);
          this.parseHead(buf.toString("latin1", 0, end));
          buf = buf.subarray(end + 4);
          break;
        }
        case "raw":
          this.onBody(buf);
          return;
        case "size": {
          const eol = buf.indexOf(CRLF);
          if (eol < 0) return void (this.pending = buf);
          const size = parseInt(buf.toString("latin1", 0, eol).split(";")[0]!, 16);
          buf = buf.subarray(eol + 2);
          if (!(size > 0)) this.state = "trailer";
          else {
            this.remaining = size;
            this.state = "data";
          }
          break;
        }
        case "data": {
          const n = Math.min(this.remaining, buf.length);
          this.onBody(buf.subarray(0, n));
          this.remaining -= n;
          buf = buf.subarray(n);
          if (this.remaining === 0) this.state = "data-crlf";
          break;
        }
        case "data-crlf":
          if (buf.length < 2) return void (this.pending = buf);
          buf = buf.subarray(2);
          this.state = "size";
          break;
        case "trailer": {
          const eol = buf.indexOf(CRLF);
          if (eol < 0) return void (this.pending = buf);
          if (eol === 0) this.state = "done";
          buf = buf.subarray(eol + 2);
          break;
        }
        case "done":
          return;
      }
    }
  }

  private parseHead(text: string): void {
    const lines = text.split("\r\n");
    const status = parseInt(lines[0]!.slice(9, 12), 10);
    const reason = lines[0]!.slice(13);
    if (status >= 100 && status < 200 && status !== 101) return; // interim: keep reading heads
    const headers: HeaderPair[] = [];
    let chunked = false;
    let hasLength = false;
    for (let i = 1; i < lines.length; i++) {
      const line = lines[i]!;
      const colon = line.indexOf(":");
      if (colon <= 0) continue;
      const name = line.slice(0, colon).trim();
      const lower = name.toLowerCase();
      const value = line.slice(colon + 1).trim();
      if (lower === "transfer-encoding" && /chunked/i.test(value)) chunked = true;
      if (lower === "content-length") hasLength = true;
      if (!HOP_BY_HOP.has(lower)) headers.push([name, value]);
    }
    this.state = chunked ? "size" : "raw";
    // 204 and 304 never get a length from the frontend: no need to hold their end apart.
    const lengthless = chunked || (!hasLength && status !== 204 && status !== 304);
    this.onHead(status, headers, lengthless, reason);
  }
}
