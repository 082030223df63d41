#!/usr/bin/env node
// The `ferry` command: picks the side to run. Each side's entry lives in its own tree
// (frontend/ and handler/ never import each other), so this file only dispatches.
const [command, ...rest] = process.argv.slice(2);
const entries = {
  frontend: "../dist/frontend/main.js",
  check: "../dist/frontend/main.js",
  reload: "../dist/frontend/reload/command.js",
  status: "../dist/frontend/status/command.js",
  keygen: "../dist/frontend/keygen.js",
  handler: "../dist/handler/main.js",
  dev: "./dev.js",
};
const usage = `usage: ferry <command> [options]

commands:
  frontend [--config FILE]     run the HTTP frontend
  check FILE                   validate a config file, list every problem
  reload [--config FILE]       make the running frontend read its config again
  status [--config FILE]       the running frontend's groups and handlers (--json, --watch)
  handler MODULE [options]     serve an app module as a handler
  keygen [--out PREFIX]        make a CURVE key pair for a frontend or handler
  dev                          frontend on its built-in config + the hello example handler
`;
if (!command || command === "--help" || command === "-h" || !(command in entries)) {
  process.stderr.write(usage);
  process.exit(command === "--help" || command === "-h" ? 0 : 2);
}
const mod = await import(new URL(entries[command], import.meta.url).href);
await mod.main([command, ...rest]);
