/** gunicorn serving bench/apps/flask_hello.py, alone or behind nginx. */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { freePort } from "../../test/support/ports.js";
import { BENCH, hardNofile, start, type Proc } from "../processes.js";
import { waitHttp } from "./ready.js";
import type { Stack, StackOptions } from "./types.js";
import { stackTemp } from "./temp.js";

export interface GunicornOptions {
  workers: number;
  /** gthread worker with this many threads; omitted = sync workers. */
  threads?: number;
}

async function startGunicorn(port: number, g: GunicornOptions): Promise<Proc> {
  const args = [
    "-w",
    String(g.workers),
    "-b",
    `127.0.0.1:${port}`,
    "--chdir",
    join(BENCH, "apps"),
    "--log-level",
    "warning",
  ];
  if (g.threads !== undefined)
    args.push("--worker-class", "gthread", "--threads", String(g.threads));
  args.push("flask_hello:app");
  const proc = start("gunicorn", "gunicorn", args, { nofile: hardNofile() });
  await waitHttp(`http://127.0.0.1:${port}/`);
  return proc;
}

export function gunicorn(g: GunicornOptions): Stack {
  const kind = g.threads === undefined ? "sync" : `gthread x${g.threads}`;
  return {
    id:
      g.threads === undefined
        ? `gunicorn-sync-${g.workers}`
        : `gunicorn-gthread-${g.workers}x${g.threads}`,
    label: `gunicorn ${g.workers} ${kind} workers`,
    tools: ["gunicorn", "python3-flask"],
    async start(options: StackOptions = {}) {
      const port = await freePort();
      const proc = await startGunicorn(port, { ...g, workers: options.handlers ?? g.workers });
      return { url: `http://127.0.0.1:${port}`, frontendPid: proc.pid, stop: () => proc.stop() };
    },
  };
}

function nginxConf(dir: string, port: number, upstream: number): string {
  const user = process.getuid?.() === 0 ? "user root;\n" : "";
  return `${user}worker_processes 1;
pid ${dir}/nginx.pid;
error_log stderr warn;
daemon off;
events { worker_connections 20000; }
http {
  access_log off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  upstream app { server 127.0.0.1:${upstream}; }
  server {
    listen 127.0.0.1:${port};
    location / { proxy_pass http://app; }
  }
}
`;
}

/** nginx (1 worker) proxying to gunicorn: what Python deployments run today. */
export function nginxGunicorn(g: GunicornOptions): Stack {
  return {
    id: `nginx-gunicorn-sync-${g.workers}`,
    label: `nginx -> gunicorn ${g.workers} sync workers`,
    tools: ["nginx", "gunicorn", "python3-flask"],
    async start(options: StackOptions = {}) {
      const dir = stackTemp("nginx-");
      mkdirSync(dir, { recursive: true });
      const [port, upstream] = [await freePort(), await freePort()];
      const app = await startGunicorn(upstream, { ...g, workers: options.handlers ?? g.workers });
      writeFileSync(join(dir, "nginx.conf"), nginxConf(dir, port, upstream));
      const nginx = start(
        "nginx",
        "nginx",
        ["-p", dir, "-c", join(dir, "nginx.conf"), "-e", "stderr"],
        {
          nofile: hardNofile(),
        },
      );
      await waitHttp(`http://127.0.0.1:${port}/`);
      return {
        url: `http://127.0.0.1:${port}`,
        frontendPid: nginx.pid,
        async stop() {
          await Promise.all([nginx.stop(), app.stop()]);
        },
      };
    },
  };
}
