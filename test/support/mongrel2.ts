/**
 * A real Mongrel2 1.12 (Debian `mongrel2-core`) on loopback, for interop tests and benchmarks:
 * writes a mongrel2.conf in a temp dir, loads it with `m2sh`, runs `mongrel2` in the foreground
 * (server.daemonize=0), waits until its port accepts connections, and stops it by PID.
 *
 * By default chroot is "/" so nothing moves. With `chroot: true` it is set up as Mongrel2's manual
 * does: `chroot="./"`, started from the temp dir, every path (logs, pid file, control socket,
 * upload.temp_store) given inside it. Mongrel2 chroots only when run as root (`canChroot`).
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { join } from "node:path";
import { freePort } from "./ports.js";
import { start, type Proc } from "./processes.js";
import { tempDir } from "./tmp.js";

export interface M2HandlerSpec {
  /** Where Mongrel2 binds its PUSH socket (requests); handlers connect PULL here. */
  sendSpec: string;
  /** Mongrel2's identity on that socket: the UUID at the start of every request. */
  sendIdent: string;
  /** Where Mongrel2 binds its SUB socket (replies); handlers connect PUB here. */
  recvSpec: string;
  recvIdent?: string;
  protocol?: "json" | "tnetstring";
}

export interface Mongrel2Options {
  /** Route pattern -> handler, e.g. `{ "/": handler }` (patterns are Mongrel2's: prefix + regex). */
  routes: Record<string, M2HandlerSpec>;
  /** Extra Mongrel2 settings, e.g. `{ "limits.content_length": 1024 }`. */
  settings?: Record<string, string | number>;
  /** Run chrooted in the temp dir (`chroot="./"`); needs root. */
  chroot?: boolean;
}

/** Whether this process may start a Mongrel2 that chroots (it must be root). */
export const canChroot = process.getuid?.() === 0;

export interface Mongrel2Server {
  port: number;
  url: string;
  /** The temp dir holding config, logs, pid file and uploads (`${dir}/uploads`). */
  dir: string;
  proc: Proc;
  stop(): Promise<void>;
}

export const MONGREL2_UUID = "f400bf85-4538-4f7a-8908-67e313d515c2";

const q = (s: string) => JSON.stringify(s); // m2sh's config syntax accepts double-quoted strings

function configText(dir: string, port: number, options: Mongrel2Options): string {
  // Inside the chroot, paths are written as Mongrel2 sees them there.
  const at = (...parts: string[]) => (options.chroot ? join("/", ...parts) : join(dir, ...parts));
  const handlers = Object.entries(options.routes).map(([pattern, h], i) => {
    const def = `h${i} = Handler(send_spec=${q(h.sendSpec)}, send_ident=${q(h.sendIdent)}, recv_spec=${q(h.recvSpec)}, recv_ident=${q(h.recvIdent ?? "")}, protocol=${q(h.protocol ?? "json")})`;
    return { def, route: `${q(pattern)}: h${i}` };
  });
  const settings = {
    "server.daemonize": 0,
    "zeromq.threads": 1,
    "upload.temp_store": at("uploads", "upload.XXXXXX"),
    ...options.settings,
  };
  const settingsText = Object.entries(settings)
    .map(([k, v]) => `${q(k)}: ${typeof v === "number" ? v : q(v)}`)
    .join(", ");
  return `${handlers.map((h) => h.def).join("\n")}
main = Server(
    uuid=${q(MONGREL2_UUID)},
    access_log=${q(at("logs", "access.log"))},
    error_log=${q(at("logs", "error.log"))},
    chroot=${q(options.chroot ? "./" : "/")},
    default_host="localhost",
    name="ferry-test",
    pid_file=${q(at("run", "mongrel2.pid"))},
    control_port=${q(options.chroot ? "ipc://run/control" : `ipc://${join(dir, "run", "control")}`)},
    bind_addr="127.0.0.1",
    port=${port},
    hosts=[Host(name="localhost", routes={${handlers.map((h) => h.route).join(", ")}})]
)
settings = {${settingsText}}
servers = [main]
`;
}

function waitForPort(port: number, proc: Proc, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const attempt = () => {
      if (proc.child.exitCode !== null || proc.child.signalCode !== null) {
        reject(new Error(`mongrel2 exited before listening:\n${proc.output()}`));
        return;
      }
      const socket = connect(port, "127.0.0.1");
      socket.once("connect", () => {
        socket.destroy();
        resolve();
      });
      socket.once("error", () => {
        socket.destroy();
        if (Date.now() > deadline)
          reject(new Error(`mongrel2 not listening on ${port}:\n${proc.output()}`));
        else setTimeout(attempt, 25); // polling for readiness, bounded by the deadline
      });
    };
    attempt();
  });
}

/** Start Mongrel2 with the given routes; stop it with `stop()` (or the test's stopAll()). */
export async function startMongrel2(options: Mongrel2Options): Promise<Mongrel2Server> {
  const tmp = tempDir("ferry-m2-");
  const dir = tmp.path;
  for (const sub of ["logs", "run", "uploads"]) mkdirSync(join(dir, sub));
  const port = await freePort();
  const conf = join(dir, "mongrel2.conf");
  const db = join(dir, "config.sqlite");
  writeFileSync(conf, configText(dir, port, options));
  const env = { ...process.env, LOGNAME: process.env.LOGNAME ?? "ferry" }; // m2sh insists on a login name
  execFileSync("m2sh", ["load", "-config", conf, "-db", db], { env, stdio: "pipe" });
  // cwd "/": without root, Mongrel2 cannot chroot and prefixes "." to the pid file path.
  // Chrooted, it chroots to where it starts ("./").
  const proc = start("mongrel2", [db, MONGREL2_UUID], { cwd: options.chroot ? dir : "/", env });
  try {
    await waitForPort(port, proc, 10_000);
  } catch (err) {
    await proc.stop("SIGKILL");
    tmp.cleanup();
    throw err;
  }
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    dir,
    proc,
    async stop() {
      await proc.stop("SIGTERM");
      tmp.cleanup();
    },
  };
}
