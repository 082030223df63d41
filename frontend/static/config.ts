import { z } from "zod";

/**
 * A static-directory route target. Unknown keys are refused so a typo (`cachecontrol`) fails at
 * start-up instead of being silently ignored.
 */
export const StaticRouteConfigSchema = z.strictObject({
  /** The directory served as the root. Nothing outside it (after resolving symlinks) is served. */
  dir: z.string().min(1),
  /** File(s) tried, in order, when a request names a directory; `false` serves no index. */
  index: z
    .union([z.string().min(1), z.array(z.string().min(1)), z.literal(false)])
    .default("index.html"),
  /** Sent verbatim as `Cache-Control` on 200/206/304 responses, e.g. "public, max-age=3600". */
  cacheControl: z.string().min(1).optional(),
  /** Serve `name.br` / `name.gz` siblings to clients whose Accept-Encoding allows it. */
  precompressed: z.boolean().default(true),
  /**
   * Names starting with "." (`.git`, `.env`): "ignore" answers 404 as if they did not exist,
   * except `.well-known` (RFC 8615, e.g. ACME challenges); "allow" serves them.
   */
  dotfiles: z.enum(["ignore", "allow"]).default("ignore"),
  /** A path prefix removed before mapping the URL path into `dir` (the route's mount point). */
  stripPrefix: z.string().regex(/^\/.*/, "must start with /").optional(),
});

/** The config as written by a user (defaults not yet applied). */
export type StaticRouteInput = z.input<typeof StaticRouteConfigSchema>;
/** The config after validation: defaults applied. */
export type StaticRouteConfig = z.output<typeof StaticRouteConfigSchema>;

/** The same config as a member of the frontend's route-target union (`kind: "static"`). */
export const StaticTargetSchema = StaticRouteConfigSchema.extend({ kind: z.literal("static") });
export type StaticTarget = z.output<typeof StaticTargetSchema>;
