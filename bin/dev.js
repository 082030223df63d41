// `ferry dev` (what `npm start` runs): the frontend on its built-in config plus one handler
// serving examples/hello, as two real processes, the way they run in production. Ctrl-C (or
// SIGTERM) stops both gracefully.
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const bin = fileURLToPath(new URL("./ferry.js", import.meta.url));
const hello = fileURLToPath(new URL("../dist/examples/hello/index.js", import.meta.url));
// Node flags the frontend runs with wherever Ferry starts it (docs/deploy.md, "Memory").
const frontendFlags = JSON.parse(
  readFileSync(new URL("./frontend-node-flags.json", import.meta.url), "utf8"),
);

export async function main() {
  // FERRY_REQUESTS/REPLIES/EVENTS move the frontend's sockets; the handler follows them.
  const { FERRY_REQUESTS: rq, FERRY_REPLIES: rp, FERRY_EVENTS: ev } = process.env;
  const handlerEnv =
    rq && rp && ev ? { ...process.env, FERRY_CONNECT: `${rq},${rp},${ev}` } : process.env;
  const children = [
    spawn(process.execPath, [...frontendFlags, bin, "frontend"], { stdio: "inherit" }),
    spawn(process.execPath, [bin, "handler", hello], { stdio: "inherit", env: handlerEnv }),
  ];
  let stopping = false;
  const stop = (signal) => {
    if (stopping) return;
    stopping = true;
    for (const child of children) if (child.exitCode === null) child.kill(signal);
  };
  process.on("SIGINT", () => stop("SIGTERM"));
  process.on("SIGTERM", () => stop("SIGTERM"));
  const codes = await Promise.all(
    children.map(
      (child) =>
        new Promise((resolve) => {
          child.once("exit", (code) => {
            // One side gone means the pair is broken: stop the other too.
            stop("SIGTERM");
            resolve(code ?? 1);
          });
        }),
    ),
  );
  process.exitCode = codes.every((c) => c === 0) ? 0 : 1;
}
