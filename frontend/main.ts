/**
 * `ferry frontend [--config FILE]` and `ferry check FILE`. The only place the frontend logs:
 * it turns the Frontend's events into pino lines.
 */
import { Throttle } from "./throttle.js";
import { ConfigError, FerryError, isFerryError } from "./errors.js";
import { checkConfigFile, loadConfig } from "./config/load.js";
import { protocolAvailable } from "./groups/index.js";
import type { Logger } from "./logging.js";
import type { AccessRecord, Frontend } from "./server.js";
import type { Control } from "./control.js";
import {
  CurveKeyError,
  exposedEndpoints,
  frontendCurveSourcesFromEnv,
  loadFrontendCurve,
} from "./curve.js";

const USAGE = `usage: ferry frontend [--config FILE]
       ferry check FILE

Environment: FERRY_CONFIG, FERRY_HOST, FERRY_PORT, FERRY_REQUESTS, FERRY_REPLIES, FERRY_EVENTS,
FERRY_LOG_LEVEL (see docs/config.md); FERRY_CONTROL_TOKEN (docs/operations.md); CURVE:
FERRY_CURVE_SECRET_KEY(_FILE), FERRY_CURVE_ALLOW(_FILE) (see docs/deploy.md).
`;

export async function main(argv: string[]): Promise<void> {
  const [command, ...args] = argv;
  try {
    if (command === "check") return check(args);
    if (command === "frontend") return await frontend(args);
    throw new FerryError("FERRY_USAGE", `unknown command ${String(command)}`);
  } catch (err) {
    fail(err);
  }
}

function fail(err: unknown): never {
  if (isFerryError(err)) {
    process.stderr.write(`ferry: ${err.code}: ${err.message}\n`);
    if (err.code === "FERRY_USAGE") process.stderr.write(USAGE);
    process.exit(err.code === "FERRY_USAGE" ? 2 : 1);
  }
  process.stderr.write(
    `ferry: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
  );
  process.exit(1);
}

function check(args: string[]): void {
  const file = args[0];
  if (file === undefined || args.length > 1 || file.startsWith("-")) {
    throw new FerryError("FERRY_USAGE", "check takes one config file");
  }
  const config = checkConfigFile(file);
  const unavailable = Object.values(config.groups).filter((g) => !protocolAvailable(g.protocol));
  const routes = config.hosts.reduce((n, h) => n + h.routes.length, 0);
  process.stdout.write(
    `ok: ${file}: ${config.listeners.length} listener(s), ${config.hosts.length} host(s), ${routes} route(s), ` +
      `${Object.keys(config.groups).length} group(s)\n`,
  );
  for (const g of unavailable) {
    process.stdout.write(
      `note: group "${g.name}" uses protocol "${g.protocol}", not available in this build yet\n`,
    );
  }
}

function parseFrontendArgs(args: string[]): { file: string | undefined } {
  let file: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === "--config" || arg === "-c") {
      file = args[++i];
      if (file === undefined) throw new FerryError("FERRY_USAGE", "--config needs a file");
    } else if (arg.startsWith("--config=")) {
      file = arg.slice("--config=".length);
    } else if (arg === "--help" || arg === "-h") {
      process.stdout.write(USAGE);
      process.exit(0);
    } else {
      throw new FerryError("FERRY_USAGE", `unknown option ${arg}`);
    }
  }
  return { file };
}

async function frontend(args: string[]): Promise<void> {
  const { file } = parseFrontendArgs(args);
  const { config, source } = loadConfig({ file, env: process.env });
  const configFile = file ?? (process.env.FERRY_CONFIG || undefined);
  // Loaded here, not at the top, so `ferry check` starts without zeromq, pino or prom-client.
  const [{ createLogger }, { Frontend }, { zmqTransport, curveZmqTransport }, { setupReload }] =
    await Promise.all([
      import("./logging.js"),
      import("./server.js"),
      import("./transport/zmq.js"),
      import("./reload/process.js"),
    ]);
  const log = createLogger();
  const curve = loadCurve();
  let transport = zmqTransport;
  if (curve) {
    const secured = curveZmqTransport(curve);
    // A refused handler keeps reconnecting: one line per key and address a minute.
    const refusals = new Throttle(60_000);
    secured.authenticator.on("denied", (d) => {
      const suppressed = refusals.pass(`${d.publicKey ?? "-"}@${d.address}`);
      if (suppressed >= 0)
        log.warn({ ...d, suppressed }, "handler refused: its key is not allowed");
    });
    log.info({ publicKey: curve.publicKey, allowed: curve.allow.size }, "links use CURVE");
    transport = secured;
  } else {
    const exposed = exposedEndpoints(
      Object.values(config.groups).flatMap((g) => [g.requests, g.replies, g.events]),
    );
    if (exposed.length > 0) {
      log.warn(
        { endpoints: exposed },
        "links reachable from other hosts without CURVE: anyone who reaches them can take requests or inject replies (docs/deploy.md)",
      );
    }
  }
  const { controlToken } = await import("./status/control-token.js");
  const token = config.control ? controlToken(config.control, process.env) : undefined;
  const server = new Frontend(config, { transport });
  attachLogging(server, log);
  keepServingOnDefects(server, log);
  log.info({ fid: server.fid, config: source }, "starting");
  await server.start();
  const reload = setupReload(server, log, { file: configFile, env: process.env });
  let control: Control | undefined;
  if (config.control) {
    // prom-client is loaded only when the control listener is configured.
    const { startControl } = await import("./control.js");
    control = await startControl(server, {
      ...config.control,
      token,
      reloader: reload.reloader,
      source,
    });
    log.info(
      // `address` right before `msg`: tests and scripts read the line as `"address":...,"msg"`.
      { token: control.tokenRequired ? "required" : "none", address: control.address },
      control.tokenRequired
        ? "control listening; every path but /health needs the token"
        : "control listening",
    );
  }
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals): void => {
    signals++;
    if (signals > 1) {
      log.warn({ signal }, "second signal: exiting now");
      log.flush();
      process.exit(1);
    }
    const grace = server.config.shutdown.grace;
    log.info({ signal, inflight: server.inflight, grace }, "stopping");
    void (async () => {
      await server.stop(grace);
      await control?.close();
      reload.close();
      log.info({ served: server.counters.responses }, "stopped");
      log.flush();
      process.exit(0);
    })();
  };
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);
}

function loadCurve(): ReturnType<typeof loadFrontendCurve> {
  try {
    return loadFrontendCurve(frontendCurveSourcesFromEnv(process.env));
  } catch (err) {
    if (!(err instanceof CurveKeyError)) throw err;
    process.stderr.write(`ferry: ${err.code}: ${err.message}\n`);
    process.exit(1);
  }
}

/** Defects past this many a minute mean the process is broken, not one request: exit. */
const DEFECTS_PER_MINUTE = 10;

/**
 * The last resort (docs/security.md, "Defects"): every client-reachable path already catches
 * its own defects at the exchange's edge. One that still reaches the event loop is logged with
 * its stack and counted, and the frontend keeps serving: exiting would let whoever can trigger
 * it stop every client's service. A burst of them (more than DEFECTS_PER_MINUTE) exits with
 * status 70 for the supervisor to restart a process whose state may no longer hold.
 */
function keepServingOnDefects(server: Frontend, log: Logger): void {
  let windowStart = Date.now();
  let inWindow = 0;
  const onDefect = (err: unknown, origin: string): void => {
    server.internalError(err, origin);
    log.fatal({ err, origin }, "uncaught defect (counted; serving on)");
    const now = Date.now();
    if (now - windowStart > 60_000) {
      windowStart = now;
      inWindow = 0;
    }
    if (++inWindow > DEFECTS_PER_MINUTE) {
      log.fatal({ defects: inWindow }, "too many uncaught defects in a minute: exiting");
      log.flush();
      process.exit(70);
    }
  };
  process.on("uncaughtException", (err, origin) => onDefect(err, origin));
  process.on("unhandledRejection", (reason) => onDefect(reason, "unhandledRejection"));
}

function attachLogging(server: Frontend, log: Logger): void {
  server.on("listening", (info: { address: string }) =>
    log.info({ address: info.address, fid: server.fid }, "listening"),
  );
  const access = log.child({ type: "access" });
  // Below info no line is written: without a listener the frontend builds no record either.
  if (access.isLevelEnabled("info")) server.on("access", (r: AccessRecord) => access.info(r));
  server.on("handler-up", (info: object) => log.info(info, "handler up"));
  server.on("handler-lost", (info: object) => log.warn(info, "handler lost"));
  server.on("handler-left", (info: object) => log.info(info, "handler left"));
  server.on("handler-disconnected", (info: object) =>
    log.info(info, "a handler's requests connection closed; its unclaimed requests were re-sent"),
  );
  server.on("handler-warning", ({ message, ...info }: { message: string }) =>
    log.warn(info, message),
  );
  server.on("protocol-error", (info: object) =>
    log.warn(info, "malformed message (counted; logged once per group and code)"),
  );
  server.on("client-error", (info: object) => log.debug(info, "malformed request"));
  server.on("error", (err: unknown) => log.error({ err }, "error"));
  server.on("internal-error", (info: { err: unknown; where: string }) =>
    log.error({ err: info.err, where: info.where }, "defect handling a request (answered 500)"),
  );
}

export { ConfigError };
