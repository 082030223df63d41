/**
 * WebSocket echo and broadcast, as a Fetch-style app. `node bin/ferry.js handler
 * examples/websocket-echo/index.ts`, then connect a client to ws://127.0.0.1:6767/ws.
 *
 *   GET /ws        echo: each message comes back as sent (text or binary). Offers "echo.v1" as a
 *                  subprotocol when the client asks for it. Text commands:
 *                  "all:TEXT" sends TEXT to every open socket (one message to the frontend),
 *                  "bye" closes with code 4000 and reason "bye".
 *   GET /refuse    a WebSocket handshake refused with 403
 *   GET /stats     {open, closes: [{code, reason}]} — what the sockets reported when they closed
 */
import { broadcast, fetchApp, upgradeWebSocket, type FerryWebSocket } from "../../handler/index.js";

const room = new Set<FerryWebSocket>();
const closes: Array<{ code: number; reason: string }> = [];

function accept(request: Request): Response {
  const offered = request.headers.get("sec-websocket-protocol") ?? "";
  const protocol = offered.split(",").some((p) => p.trim() === "echo.v1") ? "echo.v1" : undefined;
  const { socket, response } = upgradeWebSocket(request, { protocol });
  socket.onopen = () => room.add(socket);
  socket.onmessage = (event) => {
    const data = event.data as string | ArrayBuffer;
    if (data === "bye") socket.close(4000, "bye");
    else if (typeof data === "string" && data.startsWith("all:")) broadcast(room, data.slice(4));
    else socket.send(data);
  };
  socket.onclose = (event) => {
    room.delete(socket);
    closes.push({ code: event.code, reason: event.reason });
  };
  return response;
}

export default fetchApp((request: Request) => {
  const { pathname } = new URL(request.url);
  switch (pathname) {
    case "/ws":
      return accept(request);
    case "/refuse":
      return new Response("not here\n", { status: 403 });
    case "/stats":
      return Response.json({ open: room.size, closes });
    default:
      return new Response("not found\n", { status: 404 });
  }
});
