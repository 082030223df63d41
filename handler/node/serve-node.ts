/**
 * Runs a Node `(req, res)` listener (Express, Connect, Koa's callback()) for each request of a
 * connection, with genuine IncomingMessage/ServerResponse objects: a real `http.Server`, never
 * listening, parses each request from an ExchangeSocket and writes its response back into it.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { createContext, type HandlerContext } from "../context.js";
import type { HandlerConnection } from "../connection.js";
import type { Exchange } from "../exchange.js";
import { ExchangeSocket } from "./exchange-socket.js";
import { requestHead } from "./request-head.js";

export type NodeListener = (req: IncomingMessage, res: ServerResponse) => unknown;

const CONTEXT = Symbol.for("ferry.context");

/** The Ferry context of a request served by a Node listener (connection and request ids, defer). */
export function contextOf(req: IncomingMessage): HandlerContext | undefined {
  return (req as unknown as Record<symbol, HandlerContext | undefined>)[CONTEXT];
}

/**
 * A streamed body into the in-memory socket, as fast as the app reads it: when Node's buffer is
 * full (the app paused `req`, or is slow) no more is taken from the frontend, so no credit is
 * granted and the client is slowed down. A body of known length goes as is; one without (a
 * chunked upload) is chunk-encoded again.
 */
async function pumpStreamedBody(
  ex: Exchange,
  socket: ExchangeSocket,
  chunked: boolean,
): Promise<void> {
  try {
    for await (const chunk of ex.body) {
      if (socket.destroyed) return;
      if (chunked) socket.push(`${chunk.length.toString(16)}\r\n`, "latin1");
      let more = socket.push(chunk);
      if (chunked) more = socket.push("\r\n", "latin1");
      if (!more) await socket.readWanted();
    }
    if (!socket.destroyed && chunked) socket.push("0\r\n\r\n", "latin1");
  } catch {
    socket.destroy();
  }
}

/**
 * The app destroyed its response. Before anything was written the client's connection just
 * closes, as a Node server's would; once the head is out, what was written goes and then
 * `error`, so the frontend cuts the connection: a Node server's client sees the same
 * incomplete response, never one that looks whole.
 */
function cut(ex: Exchange): void {
  ex.flush();
  if (ex.finished) return;
  if (ex.headSent) ex.fail("APP_ERROR", "the response was destroyed before it ended");
  else ex.close();
}

export function nodeListener(
  listener: NodeListener,
  connection: HandlerConnection,
): (ex: Exchange) => void {
  const server = createServer();
  /** Sockets whose request reached the app. */
  const served = new WeakSet<object>();
  server.on("request", (req: IncomingMessage, res: ServerResponse) => {
    const socket = req.socket as unknown as ExchangeSocket;
    served.add(socket);
    const ex = socket.exchange;
    (req as unknown as Record<symbol, HandlerContext>)[CONTEXT] = createContext(ex, connection);
    res.once("finish", () => {
      ex.end();
      // One request per socket: once answered, let the server see the client go.
      process.nextTick(() => socket.destroy());
    });
    res.once("close", () => {
      // Closed before finishing: the app destroyed the response (often: its body stream
      // failed), or the client went away.
      // After 'finish' the end is on its way (maybe waiting for credit): nothing to cut.
      if (!ex.finished && !ex.aborted && !res.writableFinished) cut(ex);
    });
    try {
      const result = listener(req, res);
      if (result instanceof Promise) result.catch((err: unknown) => onAppError(err, ex, res));
    } catch (err) {
      onAppError(err, ex, res);
    }
  });
  server.on("clientError", (err: Error, socket) => {
    const ex = (socket as ExchangeSocket).exchange;
    connection.emit("appError", err, ex);
    if (ex.finished || ex.aborted) return;
    // After the request was parsed, the error is the app's: `res.destroy(err)`.
    if (served.has(socket)) cut(ex);
    else ex.fail("BAD_REQUEST", "request not parseable by node:http");
  });

  const onAppError = (err: unknown, ex: Exchange, res: ServerResponse) => {
    connection.emit("appError", err, ex);
    if (!res.headersSent) {
      res.statusCode = 500;
      res.end();
    } else {
      res.destroy();
    }
  };

  return (ex) => {
    const socket = new ExchangeSocket(ex);
    ex.onAbort = () => socket.destroy();
    server.emit("connection", socket);
    const inline = ex.body.inline;
    const length = inline?.length ?? ex.request.length;
    socket.push(requestHead(ex.request, length));
    if (inline !== undefined) {
      if (inline.length > 0) socket.push(inline);
    } else {
      void pumpStreamedBody(ex, socket, length === undefined);
    }
  };
}
