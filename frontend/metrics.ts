/**
 * Plain counters, bumped on the hot path (a field increment, nothing else). control.ts exposes
 * them to Prometheus by reading them at scrape time.
 */
export class Counters {
  connectionsOpened = 0;
  /** Connections refused at accept because limits.maxConnections was reached. */
  connectionsRefused = 0;
  requests = 0;
  responses = 0;
  /** Requests that never reached a handler because HTTP parsing failed. */
  malformedRequests = 0;
  /** Messages on the replies socket that failed to decode (or had the wrong frames/topic). */
  malformedMessages = 0;
  /** Replies for a finished, closed or unknown [conn, req]. */
  repliesDropped = 0;
  /** Replies or claims from a handler other than the request's claimer. */
  repliesFromLoser = 0;
  /** Reply targets, claims or credits whose token is not the request's (dropped). */
  badTokens = 0;
  /** hello/heartbeat/goodbye whose secret is not the one bound to its hid (dropped). */
  handlerSpoofed = 0;
  /** hellos from a new handler refused because the group held maxHandlers. */
  handlersRefused = 0;
  /** Reply fields replaced by a default (an invalid head.reason): the reply itself went out. */
  badReplyFields = 0;
  noHandler = 0;
  queueFull = 0;
  timeouts = 0;
  handlerLost = 0;
  resent = 0;
  disconnects = 0;
  badReplies = 0;
  slowClientsClosed = 0;
  /** Responses whose handler sent body bytes past the request's window and its credit. */
  windowOverruns = 0;
  /** Defects caught at an exchange's edge (answered 500 FERRY_INTERNAL) or at the process's. */
  internalErrors = 0;
  /** Requests refused for pipelining past limits.pipelineDepth on one connection. */
  pipelineRefused = 0;
  /** Request bodies that stalled past limits.bodyIdleMs. */
  bodyTimeouts = 0;
  /** TLS connections closed for not finishing the handshake within limits.handshakeTimeout. */
  tlsHandshakeTimeouts = 0;
  handlersUp = 0;
  handlersLost = 0;
  /** WebSocket handshakes completed (the gauge ferry_websockets_open counts those still open). */
  wsOpened = 0;
  /** WebSocket messages from clients to handlers, and from handlers to clients (per client). */
  wsMessagesIn = 0;
  wsMessagesOut = 0;
  /** WebSocket clients dropped for not answering a ping within the group's pingInterval. */
  wsPingTimeouts = 0;
}

export type CounterName = keyof Counters;
