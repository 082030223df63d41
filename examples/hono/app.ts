/**
 * A small, ordinary Hono app (no Ferry imports), the same features as the Express example.
 * `node bin/ferry.js handler examples/hono/app.ts`
 */
import { createHash } from "node:crypto";
import { Hono } from "hono";
import { getCookie, setCookie } from "hono/cookie";
import { stream } from "hono/streaming";

const app = new Hono();
const notes = new Map<number, { id: number; text: string }>([[1, { id: 1, text: "first note" }]]);
let nextId = 2;

app.get("/", (c) => c.html("<h1>Notes</h1><p>Served by Hono.</p>"));

app.get("/notes", (c) => c.json([...notes.values()]));

app.get("/notes/:id", (c) => {
  const note = notes.get(Number(c.req.param("id")));
  return note ? c.json(note) : c.json({ error: "no such note" }, 404);
});

app.post("/notes", async (c) => {
  const body = (await c.req.json().catch(() => ({}))) as { text?: unknown };
  if (typeof body.text !== "string" || !body.text)
    return c.json({ error: "text is required" }, 400);
  const note = { id: nextId++, text: body.text };
  notes.set(note.id, note);
  c.header("location", `/notes/${note.id}`);
  return c.json(note, 201);
});

app.post("/form", async (c) => c.json({ received: await c.req.parseBody() }));

app.get("/search", (c) =>
  c.json({ query: c.req.queries(), url: c.req.url.replace(/^https?:\/\/[^/]+/, "") }),
);

app.post("/upload", async (c) => {
  const body = Buffer.from(await c.req.arrayBuffer());
  return c.json({ bytes: body.length, sha256: createHash("sha256").update(body).digest("hex") });
});

app.get("/login", (c) => {
  setCookie(c, "session", "s3cr3t", { httpOnly: true, path: "/" });
  setCookie(c, "theme", "dark", { maxAge: 3600 });
  return c.redirect("/me");
});

app.get("/me", (c) => c.json({ cookies: getCookie(c) }));

app.get("/old", (c) => c.redirect("/notes", 301));

app.get("/stream", (c) => {
  c.header("content-type", "text/plain; charset=utf-8");
  return stream(c, async (s) => {
    for (let i = 0; i < 5; i++) {
      await s.write(`line ${i}\n`);
      await s.sleep(5);
    }
    await s.write("done\n");
  });
});

app.get("/large", (c) => {
  const body = new Uint8Array(3 * 1024 * 1024);
  for (let i = 0; i < body.length; i++) body[i] = (i * 31) & 0xff;
  return c.body(body, 200, { "content-type": "application/octet-stream" });
});

app.get("/work", async (c) => {
  const ms = Math.min(Number(c.req.query("ms") ?? 0) || 0, 5000);
  await new Promise((r) => setTimeout(r, ms));
  return c.json({ pid: process.pid, ms });
});

app.get("/boom", () => {
  throw new Error("boom");
});

app.get("/async-boom", async () => {
  await Promise.resolve();
  throw new Error("async boom");
});

app.onError((err, c) => c.json({ error: err.message }, 500));

export default app;
