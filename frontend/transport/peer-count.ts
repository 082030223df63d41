/**
 * Counts the handlers connected to a bound socket from ZeroMQ's socket monitor: a peer arrives
 * with `accept` (we bound) or `connect` (we connected) and leaves with `disconnect`. A protocol
 * without hello/heartbeat (Mongrel2's) has no other way to know a handler is there while it is
 * idle. A connection that fails its handshake (CURVE refused) is accepted and disconnected: it
 * counts for that moment only.
 *
 * The monitor is typed by the little it needs, so this file does not import zeromq. Listeners
 * go through the monitor's event-emitter mode (`on`), which any number of users can share.
 */

/** What this needs of a zeromq.js socket's `events` (its Observer). */
export interface SocketMonitor {
  on(type: "accept" | "connect" | "disconnect", listener: () => void): unknown;
}

/** Call `onChange` with the number of connected peers: 0 at once, then at every change. */
export function countPeers(monitor: SocketMonitor, onChange: (peers: number) => void): void {
  let peers = 0;
  const up = (): void => onChange(++peers);
  monitor.on("accept", up);
  monitor.on("connect", up);
  monitor.on("disconnect", () => {
    if (peers > 0) onChange(--peers);
  });
  onChange(0);
}
