// A plain Node (req, res) app for the SDK's mongrel2-mode tests (no Ferry imports):
//   GET /slow?ms=N   answers "slow N" after N ms
//   GET /fast        answers "fast" at once (with a Content-Length, as node:http sets it)
//   GET /nolength    two writes and no length (chunked on HTTP/1.1; HEAD: no framing at all)
//   GET /version     the request's HTTP version
//   POST /upload     {"bytes": n, "sha256": hex} of the body
import { createHash } from "node:crypto";

export default function app(req, res) {
  const url = new URL(req.url, "http://x");
  res.setHeader("content-type", "text/plain");
  if (url.pathname === "/slow") {
    const ms = Number(url.searchParams.get("ms") ?? "100");
    setTimeout(() => res.end(`slow ${ms}`), ms);
  } else if (url.pathname === "/fast") {
    res.end("fast");
  } else if (url.pathname === "/nolength") {
    res.write("no ");
    res.end("length");
  } else if (url.pathname === "/version") {
    res.end(req.httpVersion);
  } else if (url.pathname === "/upload" && req.method === "POST") {
    const hash = createHash("sha256");
    let bytes = 0;
    req.on("data", (chunk) => {
      bytes += chunk.length;
      hash.update(chunk);
    });
    req.on("end", () => {
      res.setHeader("content-type", "application/json");
      res.end(JSON.stringify({ bytes, sha256: hash.digest("hex") }));
    });
  } else {
    res.statusCode = 404;
    res.end("not found");
  }
}
