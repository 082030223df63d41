export {
  StaticRouteConfigSchema,
  StaticTargetSchema,
  type StaticRouteConfig,
  type StaticRouteInput,
  type StaticTarget,
} from "./config.js";
export { serveStatic } from "./serve-static.js";
export { mapRequestPath, type MappedPath } from "./request-path.js";
export { parseRange, MAX_RANGES, type ByteRange, type RangeRequest } from "./ranges.js";
export {
  evaluatePreconditions,
  ifRangeAllows,
  type Validators,
  type PreconditionOutcome,
} from "./conditional.js";
