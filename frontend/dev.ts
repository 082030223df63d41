/**
 * `ferry dev`: the frontend on its built-in config (environment overrides apply) plus the hello
 * example handler as a child process, for a first look: `npx ferry dev`, then
 * `curl http://127.0.0.1:6767/`. The handler is stopped with the frontend.
 */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { main as frontendMain } from "./main.js";

const FERRY_BIN = fileURLToPath(new URL("../../bin/ferry.js", import.meta.url));

export async function main(argv: string[]): Promise<void> {
  const extra = argv.slice(1);
  await frontendMain(["frontend", ...extra]);
  const handler = spawn(process.execPath, [FERRY_BIN, "handler", "examples/hello/index.ts"], {
    stdio: ["ignore", "inherit", "inherit"],
    env: process.env,
  });
  // The frontend exits from its own signal handler; take the handler along.
  process.on("exit", () => {
    if (handler.exitCode === null) handler.kill("SIGTERM");
  });
  handler.on("exit", (code, signal) => {
    if (code !== 0 && signal !== "SIGTERM") {
      process.stderr.write(`ferry dev: the example handler exited (${code ?? signal})\n`);
    }
  });
}
