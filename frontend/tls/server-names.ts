/** Choosing an SNI entry for a server name: an exact name first, then a one-label wildcard. Pure. */

/** The table key that serves `serverName`, or undefined to use the default certificate. */
export function matchServerName<T>(
  serverName: string,
  table: ReadonlyMap<string, T>,
): T | undefined {
  const name = serverName.toLowerCase().replace(/\.$/, "");
  const exact = table.get(name);
  if (exact !== undefined) return exact;
  const dot = name.indexOf(".");
  // `*.example.com` covers `a.example.com`, not `example.com` nor `a.b.example.com` (RFC 6125).
  if (dot <= 0) return undefined;
  return table.get(`*${name.slice(dot)}`);
}
