/** The Ferry TypeScript handler SDK. */
export { serve, type ServeOptions } from "./serve.js";
export { HandlerConnection, type ConnectionEvents } from "./connection.js";
export { DEFAULT_ENDPOINTS, newHandlerId, type ConnectionOptions } from "./connection-options.js";
export type { VersionMismatch } from "./version-warnings.js";
export { Exchange, type ReplyAddress } from "./exchange.js";
export { Deferred, isDeferred, type HandlerContext } from "./context.js";
export { Replier, type ReplierOptions, type SimpleResponse } from "./replier.js";
export { fetchApp, nodeApp, resolveApp, type AppKind } from "./app-kind.js";
export { contextOf, type NodeListener } from "./node/serve-node.js";
export type { FetchHandler, FetchResult } from "./fetch/serve-fetch.js";
export { HandlerError, HandlerErrorCode } from "./errors.js";
export {
  upgradeWebSocket,
  acceptWebSocket,
  broadcast,
  isWebSocketRequest,
  type UpgradeOptions,
} from "./websocket/upgrade.js";
export { FerryWebSocket, WebSocketCloseEvent, type WebSocketData } from "./websocket/socket.js";
export { ZmqTransport, ZmqPublisher } from "./transport/zmq.js";
export { MemoryTransport } from "./transport/memory.js";
export type { Transport, Publisher, FrontendEndpoints } from "./transport/types.js";
export { parseFrontends } from "./endpoints.js";
export { serveMongrel2, type ServeMongrel2Options } from "./mongrel2/serve.js";
export { Mongrel2Transport, type Mongrel2Endpoints } from "./mongrel2/transport.js";
