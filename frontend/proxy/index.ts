export {
  ProxyRouteConfigSchema,
  ProxyTargetSchema,
  type ProxyRouteConfig,
  type ProxyRouteInput,
  type ProxyTarget,
} from "./config.js";
export {
  proxyRequest,
  closeProxyPools,
  createProxyHandler,
  upstreamPath,
  type ProxyHandler,
} from "./proxy-request.js";
export { UpstreamPools } from "./pools.js";
export { ProxyError, ProxyErrorCode, PROXY_ERROR_STATUS, toProxyError } from "./errors.js";
export { upstreamRequestHeaders, clientResponseHeaders } from "./headers.js";
