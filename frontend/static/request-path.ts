/**
 * Maps a request target to path segments under a static root, refusing anything that could name
 * a file outside it. Pure: no I/O. Symlinks are checked later, against the disk (resolve-file.ts).
 */

export type MappedPath =
  | {
      ok: true;
      /** Decoded segments below the root; never "", "." or "..". */
      segments: string[];
      /** The raw (still encoded) path ended with "/". */
      trailingSlash: boolean;
      /** The raw path as the client sent it, prefix included (for redirects). */
      rawPath: string;
      /** "?..." as sent, or "". */
      query: string;
    }
  | { ok: false; status: 400 | 404; reason: string };

/**
 * Percent-decodes once (a double-encoded `%252e` stays the literal name `%2e`, which is harmless)
 * and refuses, after decoding: NUL, backslashes (a separator on Windows, and never in a sane
 * URL), and `..` segments (clients normalise dot segments, so only an attacker sends them).
 */
export function mapRequestPath(target: string | undefined, stripPrefix?: string): MappedPath {
  if (target === undefined || !target.startsWith("/")) {
    return { ok: false, status: 400, reason: "request target is not an absolute path" };
  }
  const cut = target.search(/[?#]/);
  const rawPath = cut === -1 ? target : target.slice(0, cut);
  let pathname = rawPath;
  const query = cut === -1 ? "" : target.slice(cut);
  // Taken from the raw path: a directory named without its slash is redirected to it.
  const trailingSlash = pathname.endsWith("/");
  if (stripPrefix !== undefined && stripPrefix !== "/") {
    const prefix = stripPrefix.endsWith("/") ? stripPrefix.slice(0, -1) : stripPrefix;
    if (pathname !== prefix && !pathname.startsWith(`${prefix}/`)) {
      return { ok: false, status: 404, reason: "path is outside the route's prefix" };
    }
    pathname = pathname.slice(prefix.length) || "/";
  }
  let decoded: string;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    return { ok: false, status: 400, reason: "malformed percent-encoding" };
  }
  if (decoded.includes("\0")) return { ok: false, status: 400, reason: "NUL in path" };
  if (decoded.includes("\\")) return { ok: false, status: 400, reason: "backslash in path" };
  const segments: string[] = [];
  for (const segment of decoded.split("/")) {
    if (segment === "" || segment === ".") continue;
    if (segment === "..") return { ok: false, status: 400, reason: "dot-dot segment in path" };
    segments.push(segment);
  }
  return { ok: true, segments, trailingSlash, rawPath, query };
}
