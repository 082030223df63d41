/**
 * Mongrel2 1.12 (Debian mongrel2-core) with N handler processes. The config is written per run
 * into a temp dir (Mongrel2 chroots there: run/, logs/, tmp/), loaded with m2sh, and served on
 * loopback. Mongrel2's access log stays on, as it ships.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { freePorts } from "../../test/support/ports.js";
import { hardNofile, run, start, type Proc } from "../processes.js";
import { waitHttp } from "./ready.js";
import { stackTemp } from "./temp.js";
import type { Stack, StackOptions } from "./types.js";
import type { Tool } from "../tools.js";

/** Starts one Mongrel2-protocol handler connected to the given specs. */
export interface M2Handler {
  id: string;
  label: string;
  tools: Tool[];
  unavailable?(): string | undefined;
  /** Output line that says the handler is connected (else readiness is a request that answers). */
  ready?: RegExp;
  start(sendSpec: string, recvSpec: string, index: number, options: StackOptions): Proc;
}

const SENDER_UUID = "f0e1d2c3-b4a5-4697-8899-aabbccddeeff";

function m2Conf(port: number, sendPort: number, recvPort: number): string {
  return `main = Server(
    uuid="ferry-bench",
    access_log="/logs/access.log",
    error_log="/logs/error.log",
    chroot="./",
    pid_file="/run/mongrel2.pid",
    default_host="localhost",
    name="bench",
    port=${port},
    bind_addr="127.0.0.1",
    hosts=[Host(name="localhost", routes={
        "/": Handler(send_spec="tcp://127.0.0.1:${sendPort}", send_ident="${SENDER_UUID}",
                     recv_spec="tcp://127.0.0.1:${recvPort}", recv_ident="")
    })]
)
settings = {"zeromq.threads": 1, "server.daemonize": 0}
servers = [main]
`;
}

export function mongrel2(handler: M2Handler, handlers = 1): Stack {
  return {
    id: `mongrel2-${handler.id}${handlers > 1 ? `-x${handlers}` : ""}`,
    label: `Mongrel2 + ${handler.label}${handlers > 1 ? ` x${handlers}` : ""}`,
    tools: ["mongrel2", "m2sh", ...handler.tools],
    unavailable: handler.unavailable,
    async start(options: StackOptions = {}) {
      const dir = stackTemp("m2-");
      for (const sub of ["run", "logs", "tmp"]) mkdirSync(join(dir, sub), { recursive: true });
      const [port, sendPort, recvPort] = (await freePorts(3)) as [number, number, number];
      writeFileSync(join(dir, "mongrel2.conf"), m2Conf(port, sendPort, recvPort));
      const env = { LOGNAME: process.env.LOGNAME ?? "bench" };
      await run("m2sh", "m2sh", ["load", "-config", "mongrel2.conf", "-db", "config.sqlite"], {
        cwd: dir,
        env,
      });
      const server = start("mongrel2", "mongrel2", ["config.sqlite", "ferry-bench"], {
        cwd: dir,
        env,
        nofile: hardNofile(),
      });
      await server.waitFor(/Starting Mongrel2/);
      const procs: Proc[] = [];
      const n = options.handlers ?? handlers;
      for (let i = 0; i < n; i++) {
        procs.push(
          handler.start(`tcp://127.0.0.1:${sendPort}`, `tcp://127.0.0.1:${recvPort}`, i, options),
        );
      }
      const ready = handler.ready;
      if (ready) await Promise.all(procs.map((p) => p.waitFor(ready)));
      const url = `http://127.0.0.1:${port}`;
      await waitHttp(`${url}/`);
      return {
        url,
        frontendPid: server.pid,
        handlerPids: procs.map((p) => p.pid),
        async stop() {
          await Promise.all(procs.map((p) => p.stop()));
          await server.stop();
        },
      };
    },
  };
}
