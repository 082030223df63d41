/**
 * A small, ordinary Express app (no Ferry imports): a notes API plus the usual web-app
 * features. Ferry serves it unchanged: `node bin/ferry.js handler examples/express/app.ts`.
 */
import { createHash } from "node:crypto";
import express, { type NextFunction, type Request, type Response } from "express";

interface Note {
  id: number;
  text: string;
}

const app = express();
const notes = new Map<number, Note>([[1, { id: 1, text: "first note" }]]);
let nextId = 2;

app.use(express.json());
app.use(express.urlencoded({ extended: false }));

app.get("/", (_req, res) => {
  res.type("html").send("<h1>Notes</h1><p>Served by Express.</p>");
});

app.get("/notes", (_req, res) => {
  res.json([...notes.values()]);
});

app.get("/notes/:id", (req, res) => {
  const note = notes.get(Number(req.params.id));
  if (!note) {
    res.status(404).json({ error: "no such note" });
    return;
  }
  res.json(note);
});

app.post("/notes", (req, res) => {
  const text = typeof req.body?.text === "string" ? req.body.text : "";
  if (!text) {
    res.status(400).json({ error: "text is required" });
    return;
  }
  const note = { id: nextId++, text };
  notes.set(note.id, note);
  res.status(201).location(`/notes/${note.id}`).json(note);
});

app.post("/form", (req, res) => {
  res.json({ received: req.body });
});

app.get("/search", (req, res) => {
  res.json({ query: req.query, url: req.originalUrl });
});

app.post("/upload", express.raw({ type: "*/*", limit: "20mb" }), (req, res) => {
  const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
  res.json({ bytes: body.length, sha256: createHash("sha256").update(body).digest("hex") });
});

app.get("/login", (_req, res) => {
  res.cookie("session", "s3cr3t", { httpOnly: true, path: "/" });
  res.cookie("theme", "dark", { expires: new Date(Date.UTC(2030, 0, 1)), sameSite: "lax" });
  res.redirect("/me");
});

app.get("/me", (req, res) => {
  const cookies = Object.fromEntries(
    (req.headers.cookie ?? "")
      .split(";")
      .map((c) => c.trim().split("="))
      .filter((kv) => kv.length === 2),
  );
  res.json({ cookies });
});

app.get("/old", (_req, res) => res.redirect(301, "/notes"));

app.get("/stream", (_req, res) => {
  res.type("text/plain");
  let i = 0;
  const tick = () => {
    res.write(`line ${i}\n`);
    if (++i < 5) setTimeout(tick, 5);
    else res.end("done\n");
  };
  tick();
});

app.get("/large", (_req, res) => {
  const body = Buffer.alloc(3 * 1024 * 1024);
  for (let i = 0; i < body.length; i++) body[i] = (i * 31) & 0xff;
  res.type("application/octet-stream").send(body);
});

app.get("/work", async (req, res) => {
  const ms = Math.min(Number(req.query.ms ?? 0) || 0, 5000);
  await new Promise((r) => setTimeout(r, ms));
  res.json({ pid: process.pid, ms });
});

app.get("/boom", () => {
  throw new Error("boom");
});

app.get("/async-boom", async () => {
  await Promise.resolve();
  throw new Error("async boom");
});

app.use((err: Error, _req: Request, res: Response, _next: NextFunction) => {
  res.status(500).json({ error: err.message });
});

export default app;
