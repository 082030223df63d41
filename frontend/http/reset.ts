/**
 * Reset a client connection (RST, not FIN): how a response that cannot finish is ended, so no
 * client can take it for complete. A TLS connection is reset on its TCP socket underneath.
 */
import type { Socket } from "node:net";

export function resetSocket(socket: Socket): void {
  const tcp = (socket as Socket & { _parent?: Socket | null })._parent ?? socket;
  try {
    tcp.resetAndDestroy();
  } catch {
    // Not a TCP socket (a pipe, a test double): a close is all there is.
    tcp.destroy();
  }
  if (tcp !== socket) socket.destroy();
}
