/**
 * `ferry status [--config FILE | --control URL] [--json] [--watch [SECONDS]] [--all]`: the
 * running frontend's status, from its control listener. Exit 0 when every group has a live
 * handler, 1 when one has none, 2 on a usage error, 3 when the frontend cannot be reached.
 */
import {
  callControlJson,
  errorLine,
  locate,
  parseCommand,
  type CommonOptions,
} from "./control-client.js";
import type { StatusDoc } from "./snapshot.js";
import { renderStatus, statusExitCode } from "./table.js";

const USAGE = `usage: ferry status [--config FILE | --control URL] [--json] [--watch [SECONDS]] [--all]

Reads GET /status from the frontend's control listener (the config's "control", or --control).
Token: FERRY_CONTROL_TOKEN or the config's control.token. Exit status: 0 every group has a live
handler, 1 a group has none, 2 usage, 3 the frontend could not be reached.
`;

interface StatusOptions extends CommonOptions {
  json: boolean;
  watch: number | undefined;
  all: boolean;
}

function takeStatusOption(args: string[], i: number, o: StatusOptions): number | undefined {
  const arg = args[i];
  if (arg === "--json") o.json = true;
  else if (arg === "--all") o.all = true;
  else if (arg === "--watch" || arg === "-w") {
    const next = args[i + 1];
    if (next !== undefined && /^\d+(\.\d+)?$/.test(next)) {
      o.watch = Number(next);
      return i + 1;
    }
    o.watch = 2;
  } else return undefined;
  return i;
}

function fetchStatus(o: StatusOptions): Promise<StatusDoc> {
  return callControlJson<StatusDoc>(locate(o, process.env), "GET", "/status", 10_000);
}

function show(doc: StatusDoc, o: StatusOptions): void {
  if (o.json) process.stdout.write(JSON.stringify(doc, null, 2) + "\n");
  else process.stdout.write(renderStatus(doc, o.all ? Number.POSITIVE_INFINITY : 10));
}

export async function main(argv: string[]): Promise<void> {
  const o = parseCommand<StatusOptions>(
    argv.slice(1),
    USAGE,
    { json: false, watch: undefined, all: false },
    takeStatusOption,
  );
  if (o.watch === undefined) {
    try {
      const doc = await fetchStatus(o);
      show(doc, o);
      process.exit(statusExitCode(doc));
    } catch (err) {
      fail(err);
    }
  }
  let code = 0;
  process.on("SIGINT", () => process.exit(code));
  for (;;) {
    let text: string;
    try {
      const doc = await fetchStatus(o);
      code = statusExitCode(doc);
      text = o.json ? JSON.stringify(doc) + "\n" : renderStatus(doc, o.all ? Infinity : 10);
    } catch (err) {
      code = 3;
      text = errorLine(err);
    }
    // Clear and redraw, as `top` does (JSON lines simply follow each other).
    process.stdout.write(
      o.json ? text : `\x1b[H\x1b[2J${text}(every ${o.watch}s, Ctrl-C to stop)\n`,
    );
    await new Promise((r) => setTimeout(r, o.watch! * 1000));
  }
}

function fail(err: unknown): never {
  process.stderr.write(errorLine(err));
  process.exit(3);
}
