/**
 * Codec micro-benchmark: encode and decode of a typical request (15 headers, 1 KiB body) and its
 * reply, for the Ferry codec and the Mongrel2 codec. Bounded in time: each case runs for
 * BENCH_MS milliseconds (default 600) after a short warm-up, so the whole run takes seconds.
 *
 *     npx tsx bench/protocol.ts            # table on stdout
 *     BENCH_MS=2000 npx tsx bench/protocol.ts --json
 */
import {
  decodeToFrontend,
  decodeToHandler,
  encodeToFrontend,
  encodeToHandler,
  type HeaderPair,
  type RequestMsg,
} from "../protocol/index.js";

const CASE_MS = Number(process.env.BENCH_MS ?? 600);
const WARM_MS = Math.min(200, CASE_MS / 3);

const body = new Uint8Array(1024).map((_, i) => (i * 7) & 0xff);
const headers: HeaderPair[] = [
  ["host", "app.example.com"],
  [
    "user-agent",
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36",
  ],
  ["accept", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"],
  ["accept-language", "en-US,en;q=0.9"],
  ["accept-encoding", "gzip, deflate, br"],
  ["content-type", "application/json"],
  ["content-length", "1024"],
  ["connection", "keep-alive"],
  ["cookie", "session=6f1c2a9e0b7d4e3f8a5c; theme=dark"],
  ["cookie", "tracking=off"],
  ["referer", "https://app.example.com/items"],
  ["x-request-id", "0b9f7c3e-1d2a-4e5f-8a6b-7c8d9e0f1a2b"],
  ["x-forwarded-for", "203.0.113.7"],
  ["cache-control", "no-cache"],
  ["origin", "https://app.example.com"],
];

/** The Ferry request a frontend pushes for `POST /api/items?page=2`. */
export const typicalRequest: RequestMsg = {
  v: 2,
  kind: "request",
  fid: "ferry-8f3a2c91",
  conn: 18_231,
  req: 40_112,
  token: 6_150_073_349_121_870,
  method: "POST",
  target: "/api/items?page=2",
  path: "/api/items",
  query: "page=2",
  version: "HTTP/1.1",
  headers,
  remote: "203.0.113.7",
  rport: 51_234,
  port: 443,
  scheme: "https",
  host: "app.example.com",
  route: "/api",
  group: "app",
  body,
  timeout: 30_000,
};

const typicalHead = {
  kind: "head" as const,
  hid: "py-web-3-1a2b3c",
  to: [[18_231, 40_112, 6_150_073_349_121_870]] as [number, number, number][],
  status: 200,
  headers: [
    ["content-type", "application/json"],
    ["cache-control", "no-store"],
    ["set-cookie", "session=6f1c2a9e0b7d4e3f8a5c; HttpOnly"],
  ] as HeaderPair[],
  body,
  end: true,
};

interface Result {
  codec: string;
  op: string;
  bytes: number;
  /** Operations per second of this process's CPU time (robust when the machine is busy). */
  opsPerSec: number;
  /** Operations per second of wall-clock time. */
  opsPerWallSec: number;
}

let sink = 0;

function cpuMs(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

function measure(codec: string, op: string, bytes: number, run: () => unknown): Result {
  const loop = (ms: number): [number, number, number] => {
    const start = performance.now();
    const cpuStart = cpuMs();
    let n = 0;
    let now = start;
    // Check the clock every 256 calls so timing does not dominate.
    while (now - start < ms) {
      for (let i = 0; i < 256; i++) if (run()) sink++;
      n += 256;
      now = performance.now();
    }
    return [n, now - start, cpuMs() - cpuStart];
  };
  loop(WARM_MS);
  const [n, wall, cpu] = loop(CASE_MS);
  return {
    codec,
    op,
    bytes,
    opsPerSec: Math.round((n / cpu) * 1000),
    opsPerWallSec: Math.round((n / wall) * 1000),
  };
}

function ferryCases(): Result[] {
  const req = encodeToHandler(typicalRequest);
  const head = encodeToFrontend(typicalHead);
  return [
    measure("ferry", "encode request", req.length, () => encodeToHandler(typicalRequest)),
    measure("ferry", "decode request", req.length, () => decodeToHandler(req)),
    measure("ferry", "encode reply (head+body+end)", head.length, () =>
      encodeToFrontend(typicalHead),
    ),
    measure("ferry", "decode reply (head+body+end)", head.length, () => decodeToFrontend(head)),
  ];
}

/**
 * Hook for the Mongrel2 codec (protocol/mongrel2/): measured when that module exposes
 * encodeM2Request/decodeM2Request and encodeM2Reply/decodeM2Reply, skipped otherwise.
 */
async function mongrel2Cases(): Promise<Result[]> {
  let m2: Record<string, unknown>;
  try {
    m2 = (await import("../protocol/mongrel2/index.js")) as Record<string, unknown>;
  } catch {
    return [];
  }
  const fns = ["encodeM2Request", "decodeM2Request", "encodeM2Reply", "decodeM2Reply"] as const;
  if (!fns.every((name) => typeof m2[name] === "function")) return [];
  type Fn = (...args: unknown[]) => Uint8Array;
  const [encodeReq, decodeReq, encodeReply, decodeReply] = fns.map((name) => m2[name] as Fn) as [
    Fn,
    Fn,
    Fn,
    Fn,
  ];
  // Mongrel2 groups repeated headers into one array and adds its upper-case server keys.
  const grouped = new Map<string, string | string[]>();
  for (const [name, value] of headers) {
    const seen = grouped.get(name);
    grouped.set(
      name,
      seen === undefined ? value : [...(Array.isArray(seen) ? seen : [seen]), value],
    );
  }
  const m2Headers = [
    ["PATH", "/api/items"],
    ...grouped,
    ["METHOD", "POST"],
    ["VERSION", "HTTP/1.1"],
    ["URI", "/api/items?page=2"],
    ["QUERY", "page=2"],
    ["PATTERN", "/api"],
    ["URL_SCHEME", "https"],
    ["REMOTE_ADDR", "203.0.113.7"],
  ];
  const request = {
    uuid: "54c6755b-9628-40a4-9a2d-cc82a816345e",
    id: 18_231,
    path: "/api/items",
    headers: m2Headers,
    body,
  };
  const json = encodeReq(request, "json");
  const tnet = encodeReq(request, "tnetstring");
  // A Mongrel2 handler replies with raw HTTP bytes: a head of the same headers plus the body.
  const http = Buffer.concat([
    Buffer.from(
      "HTTP/1.1 200 OK\r\n" +
        typicalHead.headers.map(([n, v]) => `${n}: ${v}\r\n`).join("") +
        "content-length: 1024\r\n\r\n",
    ),
    body,
  ]);
  const reply = { uuid: request.uuid, ids: [18_231], body: http };
  const replyBytes = encodeReply(reply);
  return [
    measure("mongrel2", "encode request (JSON headers)", json.length, () =>
      encodeReq(request, "json"),
    ),
    measure("mongrel2", "decode request (JSON headers)", json.length, () => decodeReq(json)),
    measure("mongrel2", "encode request (tnetstring headers)", tnet.length, () =>
      encodeReq(request, "tnetstring"),
    ),
    measure("mongrel2", "decode request (tnetstring headers)", tnet.length, () => decodeReq(tnet)),
    measure("mongrel2", "encode reply (HTTP bytes)", replyBytes.length, () => encodeReply(reply)),
    measure("mongrel2", "decode reply (HTTP bytes)", replyBytes.length, () =>
      decodeReply(replyBytes),
    ),
  ];
}

const results = [...ferryCases(), ...(await mongrel2Cases())];
if (process.argv.includes("--json")) {
  console.log(JSON.stringify({ node: process.version, caseMs: CASE_MS, results }, null, 2));
} else {
  console.log(
    `protocol codecs, node ${process.version}, ${CASE_MS} ms per case (15 headers, 1 KiB body)\n`,
  );
  console.log("ops/s and µs/op per CPU second of this process; wall-clock ops/s alongside\n");
  console.log(
    "codec     operation                              bytes  ops/s (CPU)    µs/op  ops/s (wall)",
  );
  for (const r of results) {
    const cells = [
      r.codec.padEnd(9),
      r.op.padEnd(38),
      String(r.bytes).padStart(5),
      r.opsPerSec.toLocaleString("en-US").padStart(12),
      (1e6 / r.opsPerSec).toFixed(2).padStart(8),
      r.opsPerWallSec.toLocaleString("en-US").padStart(13),
    ];
    console.log(cells.join(" "));
  }
}
if (sink < 0) console.log(sink);
