/* global Response */
// The bench app for Ferry's TypeScript handler SDK: a Fetch-style app with the routes every bench
// app serves (see node-hello.mjs). Plain JavaScript so `ferry handler` loads it with no loader.
//   /poll is deferred (ctx.defer()) and /broadcast answers every held poll with ONE reply
//   message addressed to all of them (connection.reply(fid, targets, ...)).
// Usage: node bin/ferry.js handler bench/apps/ferry-hello.mjs --connect REQ,REP,EV

const HELLO = "Hello, World!";
const TEXT = { "content-type": "text/plain" };
/**
 * Held long-polls per frontend id: [conn, req, token] targets (the token lets a reply through).
 * @type {Map<string, [number, number, number][]>}
 */
const held = new Map();

/** @param {string} url */
function pathOf(url) {
  // The path only, without building a URL object per request.
  const start = url.indexOf("/", url.indexOf("//") + 2);
  const q = url.indexOf("?", start);
  return q < 0 ? url.slice(start) : url.slice(start, q);
}

/**
 * @param {Request} request
 * @param {import("../../handler/index.js").HandlerContext} ctx
 */
function app(request, ctx) {
  switch (pathOf(request.url)) {
    case "/io":
      return new Promise((resolve) =>
        setTimeout(() => resolve(new Response(HELLO, { headers: TEXT })), 20),
      );
    case "/poll": {
      const list = held.get(ctx.frontendId) ?? [];
      const a = ctx.address;
      list.push([a.conn, a.req, a.token]);
      held.set(ctx.frontendId, list);
      return ctx.defer();
    }
    case "/count": {
      let n = 0;
      for (const list of held.values()) n += list.length;
      return new Response(String(n), { headers: TEXT });
    }
    case "/broadcast": {
      let n = 0;
      for (const [fid, to] of held) {
        ctx.connection.reply(fid, to, 200, [["content-type", "text/plain"]], "broadcast");
        n += to.length;
      }
      held.clear();
      return new Response(String(n), { headers: TEXT });
    }
    default:
      return new Response(HELLO, { headers: TEXT });
  }
}

// An object with fetch(): the SDK serves it as a Fetch-style app (request, ctx).
export default { fetch: app };
