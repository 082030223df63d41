/**
 * The static-directory route target: `serveStatic(req, res, route)`. GET and HEAD only; files are
 * streamed from an open handle, validated by ETag / Last-Modified, and served whole, as one range
 * or as multipart/byteranges.
 */
import {
  STATUS_CODES,
  type IncomingMessage,
  type ServerResponse,
  type OutgoingHttpHeaders,
} from "node:http";
import { open, type FileHandle } from "node:fs/promises";
import { createRequire } from "node:module";
import { extname } from "node:path";
import type { contentType as ContentTypeOf } from "mime-types";
import type { StaticRouteConfig } from "./config.js";
import { mapRequestPath } from "./request-path.js";
import { realRoot, resolveContained, resolveInRoot, type ResolvedEntry } from "./resolve-file.js";
import { evaluatePreconditions, ifRangeAllows, type Validators } from "./conditional.js";
import { parseRange } from "./ranges.js";
import { acceptableCodings, suffixOf, type Coding } from "./encodings.js";
import { multipartLayout, sendMultipart, sendRange } from "./send-body.js";

/**
 * `mime-types` (and its database of types) is loaded on the first file served, not at start: a
 * frontend without static routes, or before its first file, keeps it out of resident memory.
 */
let contentTypeOf: typeof ContentTypeOf | undefined;
function mimeContentType(ext: string): string | false {
  contentTypeOf ??= (createRequire(import.meta.url)("mime-types") as typeof import("mime-types"))
    .contentType;
  return contentTypeOf(ext);
}

/** Stops serving (closes the file) when aborted: the client left. */
const NEVER = new AbortController().signal;

export async function serveStatic(
  req: IncomingMessage,
  res: ServerResponse,
  route: StaticRouteConfig,
  signal: AbortSignal = NEVER,
): Promise<void> {
  try {
    await serve(req, res, route, signal);
  } catch (err) {
    // A client that goes mid-body ends the pipeline with an error: nothing more to say to it.
    if (signal.aborted || res.destroyed) res.destroy();
    else if (res.headersSent) res.destroy(err instanceof Error ? err : undefined);
    else sendPlain(res, 500, "internal error reading file");
  }
}

function sendPlain(
  res: ServerResponse,
  status: number,
  text: string,
  headers: OutgoingHttpHeaders = {},
): void {
  const body = Buffer.from(`${text}\n`);
  res.writeHead(status, STATUS_CODES[status] ?? "Unknown", {
    ...headers,
    "content-type": "text/plain; charset=utf-8",
    "content-length": body.length,
  });
  res.end(res.req.method === "HEAD" ? undefined : body);
}

function isHiddenName(segment: string): boolean {
  return segment.startsWith(".") && segment !== ".well-known";
}

/** A file to send: the real path, its type, and the coding of a precompressed sibling. */
interface Selected {
  entry: ResolvedEntry;
  contentType: string;
  coding: Coding | null;
}

async function serve(
  req: IncomingMessage,
  res: ServerResponse,
  route: StaticRouteConfig,
  signal: AbortSignal,
): Promise<void> {
  const method = req.method ?? "GET";
  if (method !== "GET" && method !== "HEAD") {
    sendPlain(res, 405, "method not allowed", { allow: "GET, HEAD" });
    return;
  }
  const mapped = mapRequestPath(req.url, route.stripPrefix);
  if (!mapped.ok) {
    sendPlain(res, mapped.status, mapped.status === 404 ? "not found" : "bad request");
    return;
  }
  if (route.dotfiles === "ignore" && mapped.segments.some(isHiddenName)) {
    sendPlain(res, 404, "not found");
    return;
  }
  const root = await realRoot(route.dir);
  let entry = root === null ? null : await resolveInRoot(root, mapped.segments);
  let name = mapped.segments[mapped.segments.length - 1] ?? "";
  if (root === null || entry === null) {
    sendPlain(res, 404, "not found");
    return;
  }
  if (entry.stats.isDirectory()) {
    if (!mapped.trailingSlash) {
      // Leading slashes collapsed: "//host" in Location would send the client to another host.
      const location = `${mapped.rawPath.replace(/^\/+/, "/")}/${mapped.query}`;
      sendPlain(res, 301, "moved permanently", { location });
      return;
    }
    entry = null;
    for (const index of route.index === false ? [] : [route.index].flat()) {
      const candidate = await resolveInRoot(root, [...mapped.segments, index]);
      if (candidate?.stats.isFile()) {
        entry = candidate;
        name = index;
        break;
      }
    }
  } else if (mapped.trailingSlash) {
    entry = null; // "/file.txt/" names a directory that does not exist
  }
  if (entry === null || !entry.stats.isFile()) {
    sendPlain(res, 404, "not found");
    return;
  }
  const selected = await selectRepresentation(req, route, root, entry, name);
  signal.throwIfAborted();
  const handle = await open(selected.entry.path, "r");
  try {
    signal.throwIfAborted();
    await sendFile(req, res, route, selected, handle, signal);
  } finally {
    await handle.close();
  }
}

async function selectRepresentation(
  req: IncomingMessage,
  route: StaticRouteConfig,
  root: string,
  entry: ResolvedEntry,
  name: string,
): Promise<Selected> {
  // The type is the requested name's (a symlink `latest.js` -> `v3` is still JavaScript).
  const contentType = mimeContentType(extname(name)) || "application/octet-stream";
  if (route.precompressed) {
    for (const coding of acceptableCodings(req.headers["accept-encoding"])) {
      const sibling = await resolveContained(root, entry.path + suffixOf(coding));
      if (sibling?.stats.isFile()) return { entry: sibling, contentType, coding };
    }
  }
  return { entry, contentType, coding: null };
}

async function sendFile(
  req: IncomingMessage,
  res: ServerResponse,
  route: StaticRouteConfig,
  selected: Selected,
  handle: FileHandle,
  signal: AbortSignal,
): Promise<void> {
  // fstat on the open handle: the bytes sent and the validators describe the same file.
  const stats = await handle.stat();
  const size = stats.size;
  const validators: Validators = {
    etag: `"${size.toString(16)}-${Math.floor(stats.mtimeMs).toString(16)}${selected.coding ? `-${selected.coding}` : ""}"`,
    lastModifiedSeconds: Math.floor(stats.mtimeMs / 1000),
  };
  const common: OutgoingHttpHeaders = {
    etag: validators.etag,
    "last-modified": new Date(validators.lastModifiedSeconds * 1000).toUTCString(),
  };
  if (route.cacheControl !== undefined) common["cache-control"] = route.cacheControl;
  if (route.precompressed) common.vary = "Accept-Encoding";

  const method = req.method ?? "GET";
  const outcome = evaluatePreconditions(method, req.headers, validators);
  if (outcome === "not-modified") {
    res.writeHead(304, common);
    res.end();
    return;
  }
  if (outcome === "failed") {
    sendPlain(res, 412, "precondition failed", common);
    return;
  }
  const entity: OutgoingHttpHeaders = {
    ...common,
    "accept-ranges": "bytes",
    "x-content-type-options": "nosniff",
  };
  if (selected.coding !== null) entity["content-encoding"] = selected.coding;

  const range =
    method === "GET" && ifRangeAllows(req.headers, validators)
      ? parseRange(req.headers.range, size)
      : ({ kind: "whole" } as const);
  if (range.kind === "unsatisfiable") {
    sendPlain(res, 416, "range not satisfiable", { ...common, "content-range": `bytes */${size}` });
    return;
  }
  if (range.kind === "whole") {
    res.writeHead(200, { ...entity, "content-type": selected.contentType, "content-length": size });
    if (method === "HEAD" || size === 0) res.end();
    else await sendRange(res, handle, { start: 0, end: size - 1 }, signal);
    return;
  }
  const [first] = range.ranges;
  if (range.ranges.length === 1 && first !== undefined) {
    res.writeHead(206, {
      ...entity,
      "content-type": selected.contentType,
      "content-range": `bytes ${first.start}-${first.end}/${size}`,
      "content-length": first.end - first.start + 1,
    });
    await sendRange(res, handle, first, signal);
    return;
  }
  const layout = multipartLayout(range.ranges, size, selected.contentType);
  res.writeHead(206, {
    ...entity,
    "content-type": layout.contentType,
    "content-length": layout.length,
  });
  await sendMultipart(res, handle, layout, signal);
}
