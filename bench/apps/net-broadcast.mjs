// The floor of the broadcast figure: a bare node:net server (no HTTP parser, no per-response
// work) that holds every GET /poll and, on GET /broadcast, writes ONE prebuilt response to all
// of them. What remains is the kernel's cost of 10,000 loopback writes plus the event loop.
// Routes as in node-hello.mjs: /poll, /count, /broadcast (anything else: "Hello, World!").
// Usage: node bench/apps/net-broadcast.mjs PORT,
//   then node --import tsx bench/clients/broadcast.ts PORT N
import { createServer } from "node:net";

const port = Number(process.argv[2]);
/** @param {string} body */
const response = (body) =>
  Buffer.from(
    `HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
      `Connection: keep-alive\r\n\r\n${body}`,
  );
const BROADCAST = response("broadcast");
/** @type {Set<import("node:net").Socket>} */
const held = new Set();

const server = createServer((socket) => {
  socket.setNoDelay(true);
  let pending = "";
  socket.on("data", (chunk) => {
    pending += chunk.toString("latin1");
    let end;
    while ((end = pending.indexOf("\r\n\r\n")) >= 0) {
      const path = pending.slice(0, pending.indexOf("\r\n")).split(" ")[1];
      pending = pending.slice(end + 4);
      if (path === "/poll") held.add(socket);
      else if (path === "/count") socket.write(response(String(held.size)));
      else if (path === "/broadcast") {
        const n = held.size;
        for (const s of held) s.write(BROADCAST);
        held.clear();
        socket.write(response(String(n)));
      } else socket.write(response("Hello, World!"));
    }
  });
  socket.on("close", () => held.delete(socket));
  socket.on("error", () => {});
});
server.listen(port, "127.0.0.1", () => process.stdout.write(`listening ${port}\n`));
process.on("SIGTERM", () => process.exit(0));
