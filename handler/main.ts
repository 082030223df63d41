/**
 * `ferry handler MODULE [--export NAME] [--connect FRONTENDS] [--concurrency N] [--kind K]`:
 * loads an app module, serves it, logs with pino, drains on SIGTERM/SIGINT and exits 0.
 * `--protocol mongrel2 --send-spec S --recv-spec R` serves it behind Mongrel2 (mongrel2/cli.ts).
 */
import { parseArgs } from "node:util";
import { pino, type Logger } from "pino";
import type { AppKind } from "./app-kind.js";
import { DEFAULT_ENDPOINTS } from "./connection.js";
import { CurveKeyError, handlerCurveSourcesFromEnv, loadHandlerCurve } from "./curve.js";
import { parseFrontends } from "./endpoints.js";
import { Limits } from "../protocol/index.js";
import { HandlerError } from "./errors.js";
import { installFastResponse } from "./fetch/fast-response.js";
import { loadApp } from "./load-app.js";
import { serve } from "./serve.js";
import {
  MONGREL2_OPTIONS,
  MONGREL2_USAGE,
  describeServers,
  mongrel2Chroot,
  mongrel2Servers,
} from "./mongrel2/cli.js";
import { serveMongrel2 } from "./mongrel2/serve.js";

const USAGE = `usage: ferry handler MODULE [options]

  MODULE                 app module: a file, a directory (its index), examples/hello/index.ts
                         (mapped to dist/), or a package name
  --export NAME          export to serve (default: default, app, fetch, handler)
  --connect FRONTENDS    "REQUESTS,REPLIES,EVENTS" or a host, several separated by ";"
                         (default ${DEFAULT_ENDPOINTS.requests},${DEFAULT_ENDPOINTS.replies},${DEFAULT_ENDPOINTS.events})
  --concurrency N        requests worked on at once, 1..65536 (default 64)
  --prefetch N           requests taken beyond the concurrency, waiting here for a slot
                         (default 0; see docs/handler.md)
  --kind fetch|node      how to call the app (default: detected)
  --heartbeat MS         heartbeat interval, 100..60000 (default 1000)
  --native-response      keep Node's own global Response (default: a subclass that sends
                         string and byte bodies without a stream; see docs/handler.md)
${MONGREL2_USAGE}
environment: FERRY_CONNECT, FERRY_CONCURRENCY, FERRY_PREFETCH, FERRY_EXPORT, FERRY_KIND, FERRY_HEARTBEAT,
             FERRY_NATIVE_RESPONSE=1, FERRY_LOG_LEVEL (default info);
             CURVE: FERRY_CURVE_SECRET_KEY(_FILE), FERRY_CURVE_SERVER_KEY(_FILE)
`;

/** An integer option within [min, max] (what the protocol can carry). */
function intIn(
  name: string,
  value: string | undefined,
  fallback: number,
  min: number,
  max: number,
): number {
  if (value === undefined || value === "") return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new HandlerError(
      "ERR_USAGE",
      `${name} must be an integer ${min}..${max}, got ${JSON.stringify(value)}`,
    );
  return n;
}

/** An on/off environment variable: 1, true, yes or on. */
function flag(value: string | undefined): boolean {
  return value !== undefined && /^(1|true|yes|on)$/i.test(value.trim());
}

function kindOf(value: string | undefined): AppKind | undefined {
  if (value === undefined || value === "") return undefined;
  if (value === "fetch" || value === "node") return value;
  throw new HandlerError("ERR_USAGE", `--kind must be fetch or node, got ${JSON.stringify(value)}`);
}

async function run(argv: string[], log: Logger): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv.slice(1),
    allowPositionals: true,
    options: {
      export: { type: "string" },
      connect: { type: "string", multiple: true },
      concurrency: { type: "string" },
      prefetch: { type: "string" },
      kind: { type: "string" },
      heartbeat: { type: "string" },
      "native-response": { type: "boolean" },
      help: { type: "boolean", short: "h" },
      ...MONGREL2_OPTIONS,
    },
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return;
  }
  const env = process.env;
  const spec = positionals[0];
  if (!spec || positionals.length > 1)
    throw new HandlerError("ERR_USAGE", "expected exactly one MODULE");
  const connect = values.connect?.join(";") ?? env.FERRY_CONNECT;
  const servers = mongrel2Servers(values, env, connect);
  const frontends = connect && !servers ? parseFrontends(connect) : [DEFAULT_ENDPOINTS];
  const concurrency = intIn(
    "--concurrency",
    values.concurrency ?? env.FERRY_CONCURRENCY,
    64,
    Limits.minCapacity,
    Limits.maxCapacity,
  );
  const prefetch = intIn(
    "--prefetch",
    values.prefetch ?? env.FERRY_PREFETCH,
    0,
    0,
    Limits.maxCapacity - concurrency,
  );
  const heartbeatMs = intIn(
    "--heartbeat",
    values.heartbeat ?? env.FERRY_HEARTBEAT,
    1000,
    Limits.minInterval,
    Limits.maxInterval,
  );
  const kind = kindOf(values.kind ?? env.FERRY_KIND);
  const nativeResponse = values["native-response"] === true || flag(env.FERRY_NATIVE_RESPONSE);
  // Before the app loads, so a module that keeps a reference to Response gets the substitute.
  if (!nativeResponse) installFastResponse();
  const { app, path } = await loadApp(spec, values.export ?? (env.FERRY_EXPORT || undefined));

  const curve = loadHandlerCurve(handlerCurveSourcesFromEnv(env));
  const connection = servers
    ? serveMongrel2(app, {
        servers,
        concurrency,
        heartbeatMs,
        kind,
        nativeResponse,
        chroot: mongrel2Chroot(values, env),
      })
    : serve(app, { frontends, concurrency, prefetch, heartbeatMs, kind, curve, nativeResponse });
  const malformedSeen = new Set<string>();
  connection.on("malformed", (source, reason) => {
    if (malformedSeen.has(source)) return; // logged once per source
    malformedSeen.add(source);
    log.warn({ source, reason }, "malformed message dropped");
  });
  // A frontend of another protocol version: its messages are dropped, so say so (the SDK
  // reports it at most once a minute per frontend).
  connection.on("versionMismatch", ({ fid, version, held, message }) =>
    log.warn({ fid, version, held }, message),
  );
  connection.on("appError", (err, ex) => {
    log.error(
      { err, method: ex.request.method, target: ex.request.target, conn: ex.conn, req: ex.req },
      "app error",
    );
  });
  connection.on("peer", (fid) => log.info({ fid }, "frontend connected"));
  connection.on("peerGone", (fid, aborted) => log.info({ fid, aborted }, "frontend gone"));
  if (log.isLevelEnabled("debug")) {
    connection.on("disconnect", (e) =>
      log.debug({ fid: e.fid, conn: e.conn, req: e.req }, "client disconnected"),
    );
    connection.on("cancel", (e) =>
      log.debug({ fid: e.fid, conn: e.conn, req: e.req, reason: e.reason }, "request cancelled"),
    );
  }

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) {
      log.warn({ signal }, "second signal: exiting now");
      process.exit(1);
    }
    stopping = true;
    log.info({ signal, inflight: connection.inflight }, "draining");
    connection.drain().then(
      () => {
        log.info("drained");
        process.exit(0);
      },
      (err: unknown) => {
        log.error({ err }, "drain failed");
        process.exit(1);
      },
    );
  };
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));

  log.info(
    {
      hid: connection.hid,
      module: path,
      concurrency,
      ...(servers
        ? { protocol: "mongrel2", servers: describeServers(servers) }
        : { frontends: frontends.map((f) => `${f.requests},${f.replies},${f.events}`) }),
    },
    "handler ready",
  );
}

export async function main(argv: string[]): Promise<void> {
  const log = pino({ name: "ferry-handler", level: process.env.FERRY_LOG_LEVEL ?? "info" });
  try {
    await run(argv, log);
  } catch (err) {
    if (err instanceof HandlerError || err instanceof CurveKeyError) {
      process.stderr.write(
        `ferry handler: ${err.message}\n${err.code === "ERR_USAGE" ? USAGE : ""}`,
      );
      process.exit(2);
    }
    throw err;
  }
}
