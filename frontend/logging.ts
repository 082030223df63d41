/**
 * The frontend process's logger: pino JSON lines on stdout, pino-pretty when stdout is a TTY.
 * Only main.ts uses it; library code emits events.
 */
import pino, { type Logger } from "pino";

export function createLogger(level = process.env.FERRY_LOG_LEVEL ?? "info"): Logger {
  if (process.stdout.isTTY) {
    return pino(
      { level, base: undefined },
      pino.transport({ target: "pino-pretty", options: { colorize: true } }),
    );
  }
  // Asynchronous writes keep the access log off the request path; flushed before exit.
  return pino({ level, base: undefined }, pino.destination({ dest: 1, sync: false }));
}

export type { Logger };
