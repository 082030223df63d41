/**
 * The body idle timeout (limits.bodyIdleMs): a request body that gets no byte from its client
 * for that long, while the frontend is reading it, ends its exchange. Watched on the socket's
 * byte count rather than the body stream, so it works whoever reads the body (the intake for a
 * handler, undici for a proxy) without taking part in the reading. Time during which the
 * frontend itself holds the body back (a paused upload, a full stream buffer) does not count.
 * The watch lasts until the body is complete, also after the exchange is done (an answer that
 * came before the whole body, whose rest the connection must still read through).
 */
import type { Exchange } from "../exchange.js";

export function watchBody(ex: Exchange, idleMs: number, onIdle: (ex: Exchange) => void): void {
  const req = ex.req;
  const socket = req.socket;
  let seen = socket.bytesRead;
  let since = performance.now();
  const timer = setInterval(
    () => {
      if (req.complete || socket.destroyed) return clearInterval(timer);
      const now = performance.now();
      const read = socket.bytesRead;
      // Held back by the frontend: bytes it has and has not passed on yet (an upload waiting for
      // its handler's credit, a full stream buffer under an upstream's backpressure).
      const heldBack =
        req.readableLength >= req.readableHighWaterMark ||
        (ex.upload !== undefined && ex.upload.buffered > 0);
      if (read !== seen || heldBack) {
        seen = read;
        since = now;
        return;
      }
      if (now - since < idleMs) return;
      clearInterval(timer);
      onIdle(ex);
    },
    Math.max(10, Math.floor(idleMs / 4)),
  );
  timer.unref();
}
