// The ceiling: a bare node:http server with the same routes every bench app serves. Plain
// JavaScript, run by plain node (no loader), so it carries nothing a real server would not.
//   /           "Hello, World!"
//   /io         the same after 20 ms (an I/O-bound handler)
//   /poll       held until /broadcast (long-poll)
//   /count      how many /poll requests are held
//   /broadcast  answers every held /poll with one body, then itself with the count
// Usage: node bench/apps/node-hello.mjs PORT
import { createServer } from "node:http";

const port = Number(process.argv[2]);
const HELLO = Buffer.from("Hello, World!");
/** @type {Set<import("node:http").ServerResponse>} */
const held = new Set();

/** @param {import("node:http").ServerResponse} res @param {Buffer} body */
function reply(res, body) {
  res.writeHead(200, { "Content-Type": "text/plain", "Content-Length": body.length });
  res.end(body);
}

const server = createServer((req, res) => {
  switch (req.url) {
    case "/io":
      setTimeout(() => reply(res, HELLO), 20);
      return;
    case "/poll":
      held.add(res);
      res.once("close", () => held.delete(res));
      return;
    case "/count":
      reply(res, Buffer.from(String(held.size)));
      return;
    case "/broadcast": {
      const body = Buffer.from("broadcast");
      const n = held.size;
      for (const r of held) reply(r, body);
      held.clear();
      reply(res, Buffer.from(String(n)));
      return;
    }
    default:
      reply(res, HELLO);
  }
});

// Idle keep-alive clients must stay connected for the whole connections scenario.
server.keepAliveTimeout = 120_000;
server.headersTimeout = 130_000;
server.requestTimeout = 0;
server.listen(port, "127.0.0.1", () => process.stdout.write(`listening ${port}\n`));
process.on("SIGTERM", () => process.exit(0));
