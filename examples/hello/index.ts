/**
 * The smallest Ferry handler: a Fetch-style app, no dependencies.
 *   npm run build && node bin/ferry.js handler examples/hello/index.ts
 */
export default {
  fetch(request: Request): Response {
    const url = new URL(request.url);
    const name = url.searchParams.get("name") ?? "world";
    return new Response(`Hello, ${name}! (${request.method} ${url.pathname})\n`, {
      headers: { "content-type": "text/plain; charset=utf-8" },
    });
  },
};
