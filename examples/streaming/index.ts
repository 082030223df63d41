/**
 * Streaming both ways with a Fetch-style app: `POST /hash` hashes an upload of any size as it
 * arrives (the body is a stream; the frontend sends it only as fast as this handler reads),
 * `GET /download?bytes=N` generates N bytes on demand (produced only as fast as the client
 * reads: flow control), `POST /echo` streams the body back while it arrives. `GET /stats`
 * counts what the handler saw.
 *
 *   node bin/ferry.js frontend & node bin/ferry.js handler examples/streaming/index.ts
 *   curl -T big.iso http://127.0.0.1:8080/hash
 */
import { createHash } from "node:crypto";

const stats = { produced: 0, aborted: 0, uploads: 0 };

/** Deterministic bytes: byte i of a download is (i * 7) & 255. */
function fill(chunk: Uint8Array, offset: number): void {
  for (let i = 0; i < chunk.length; i++) chunk[i] = ((offset + i) * 7) & 255;
}

async function hash(body: ReadableStream<Uint8Array> | null): Promise<Response> {
  stats.uploads++;
  const h = createHash("sha256");
  let bytes = 0;
  try {
    if (body)
      for await (const chunk of body) {
        h.update(chunk);
        bytes += chunk.length;
      }
  } catch (err) {
    stats.aborted++;
    throw err;
  }
  return Response.json({ bytes, sha256: h.digest("hex") });
}

function download(total: number): Response {
  let offset = 0;
  const stream = new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        if (offset >= total) return controller.close();
        const chunk = new Uint8Array(Math.min(64 * 1024, total - offset));
        fill(chunk, offset);
        offset += chunk.length;
        stats.produced += chunk.length;
        controller.enqueue(chunk);
      },
    },
    { highWaterMark: 0 },
  );
  return new Response(stream, {
    headers: { "content-type": "application/octet-stream", "content-length": String(total) },
  });
}

export default {
  async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url);
    switch (url.pathname) {
      case "/hash":
        return hash(request.body);
      case "/early":
        // Answers without reading the body.
        return new Response("early\n");
      case "/echo":
        return new Response(request.body, {
          headers: { "content-type": "application/octet-stream" },
        });
      case "/download":
        return download(Number(url.searchParams.get("bytes") ?? "0"));
      case "/stats":
        return Response.json(stats);
      case "/reset":
        stats.produced = 0;
        return Response.json(stats);
      default:
        return new Response("not found\n", { status: 404 });
    }
  },
};
