/**
 * Chat: clients wait for messages by long-poll (GET /poll) or server-sent events (GET /events);
 * POST /send broadcasts one message to all of them with ONE reply message per frontend,
 * addressed to every waiting connection. `node bin/ferry.js handler examples/chat/index.ts`
 */
import { fetchApp, type HandlerContext } from "../../handler/index.js";
import { Room } from "./room.js";

const room = new Room();
const json = [["content-type", "application/json"]] as Array<[string, string]>;

function listen(map: Map<string, HandlerContext["address"]>, ctx: HandlerContext): void {
  const key = Room.key(ctx.address);
  map.set(key, ctx.address);
  // The client went away (or the frontend gave up): it no longer listens.
  ctx.signal.addEventListener("abort", () => {
    if (map.delete(key)) room.disconnects++;
  });
}

function broadcast(ctx: HandlerContext, text: string): number {
  const payload = JSON.stringify({ text, at: Date.now() });
  const polling = [...room.polling.values()];
  const streaming = [...room.streaming.values()];
  room.polling.clear();
  for (const [fid, to] of Room.byFrontend(polling))
    ctx.connection.reply(fid, to, 200, json, payload);
  for (const [fid, to] of Room.byFrontend(streaming))
    ctx.connection.deliver(fid, to, `data: ${payload}\n\n`);
  room.sent++;
  return polling.length + streaming.length;
}

const PAGE = `<!doctype html><meta charset="utf-8"><title>Ferry chat</title>
<ul id="log"></ul><form id="f"><input id="t" autofocus><button>send</button></form>
<script>
const log = (m) => { const li = document.createElement("li"); li.textContent = m; document.getElementById("log").append(li); };
new EventSource("events").onmessage = (e) => log(JSON.parse(e.data).text);
document.getElementById("f").onsubmit = (e) => { e.preventDefault(); const t = document.getElementById("t");
  fetch("send", { method: "POST", body: t.value }); t.value = ""; };
</script>`;

export default fetchApp(async (request: Request, ctx: HandlerContext) => {
  const { pathname } = new URL(request.url);
  switch (`${request.method} ${pathname}`) {
    case "GET /":
      return new Response(PAGE, { headers: { "content-type": "text/html; charset=utf-8" } });
    case "GET /poll":
      listen(room.polling, ctx);
      return ctx.defer();
    case "GET /events":
      ctx.exchange.writeHead(200, [
        ["content-type", "text/event-stream"],
        ["cache-control", "no-cache"],
      ]);
      ctx.exchange.write(": connected\n\n");
      listen(room.streaming, ctx);
      return ctx.defer();
    case "POST /send": {
      const text = (await request.text()).slice(0, 1000);
      const delivered = broadcast(ctx, text);
      return Response.json({ delivered });
    }
    case "GET /stats":
      return Response.json({
        polling: room.polling.size,
        streaming: room.streaming.size,
        disconnects: room.disconnects,
        sent: room.sent,
      });
    default:
      return new Response("not found\n", { status: 404 });
  }
});
