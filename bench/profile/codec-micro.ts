/**
 * Micro-benchmark of the protocol v2 codec: the one-pass codec (protocol/codec.ts) next to the
 * msgpackr-based reference (protocol/reference-codec.ts) and bare msgpackr, on a typical request
 * and a typical `head` reply, in one run so that the ratios hold on a noisy machine.
 *
 *   node --import tsx bench/profile/codec-micro.ts [--ms 400] [--rounds 3]
 */
import { parseArgs } from "node:util";
import { Packr } from "msgpackr";
import {
  decodeToFrontend,
  decodeToHandler,
  encodeToFrontend,
  encodeToHandler,
  type Draft,
  type HeadMsg,
  type RequestMsg,
} from "../../protocol/index.js";
import {
  referenceDecodeToFrontend,
  referenceDecodeToHandler,
  referenceEncodeToFrontend,
  referenceEncodeToHandler,
} from "../../protocol/reference-codec.js";

const { values: args } = parseArgs({
  options: { ms: { type: "string", default: "400" }, rounds: { type: "string", default: "3" } },
});
const runMs = Number(args.ms);
const rounds = Number(args.rounds);

const request: Draft<RequestMsg> = {
  kind: "request",
  fid: "web-1-8f3a2c",
  conn: 1234,
  req: 56789,
  token: 5261007164219617,
  method: "GET",
  target: "/hello?name=world",
  path: "/hello",
  query: "name=world",
  version: "HTTP/1.1",
  headers: [
    ["host", "127.0.0.1:8080"],
    ["user-agent", "wrk/4.2.0"],
    ["accept", "*/*"],
  ],
  remote: "127.0.0.1",
  rport: 51234,
  port: 8080,
  scheme: "http",
  host: "127.0.0.1:8080",
  route: "",
  group: "app",
  body: new Uint8Array(0),
  timeout: 30_000,
};

const head: Draft<HeadMsg> = {
  kind: "head",
  hid: "ts-1-77aa01",
  to: [[1234, 56789, 5261007164219617]],
  status: 200,
  headers: [["content-type", "text/plain"]],
  body: Buffer.from("Hello, world!"),
  end: true,
};

const packr = new Packr({ useRecords: false, variableMapSize: true, moreTypes: false });
const requestBytes = encodeToHandler(request);
const headBytes = encodeToFrontend(head);
const requestPlain = { v: 2, ...request };

/**
 * Mean CPU µs per call of `fn` over about `runMs` of CPU time. CPU time, not wall time: on a
 * shared machine other processes stretch wall time but not (much) this process's CPU time.
 */
function measure(fn: () => unknown): number {
  let n = 0;
  const start = process.cpuUsage();
  let used = 0;
  while (used < runMs * 1000) {
    for (let i = 0; i < 1000; i++) fn();
    n += 1000;
    const now = process.cpuUsage(start);
    used = now.user + now.system;
  }
  return used / n;
}

const cases: [string, () => unknown, () => unknown][] = [
  [
    "encodeToHandler(request)",
    () => referenceEncodeToHandler(request),
    () => encodeToHandler(request),
  ],
  [
    "decodeToHandler(request)",
    () => referenceDecodeToHandler(requestBytes),
    () => decodeToHandler(requestBytes),
  ],
  ["encodeToFrontend(head)", () => referenceEncodeToFrontend(head), () => encodeToFrontend(head)],
  [
    "decodeToFrontend(head)",
    () => referenceDecodeToFrontend(headBytes),
    () => decodeToFrontend(headBytes),
  ],
];
const bare: [string, () => unknown][] = [
  ["msgpackr pack(request)", () => packr.pack(requestPlain)],
  ["msgpackr unpack(request)", () => packr.unpack(requestBytes)],
];

// Warm up every path so that each is optimised before it is timed.
for (const [, reference, onePass] of cases) {
  measure(reference);
  measure(onePass);
}

const best = new Map<string, number>();
const keep = (name: string, us: number) => best.set(name, Math.min(best.get(name) ?? Infinity, us));
for (let r = 0; r < rounds; r++) {
  for (const [name, reference, onePass] of cases) {
    keep(`${name} reference`, measure(reference));
    keep(`${name} one-pass`, measure(onePass));
  }
  for (const [name, fn] of bare) keep(name, measure(fn));
}

console.log(`best of ${rounds} rounds of ${runMs} ms of CPU, CPU µs per call`);
console.log(
  "case".padEnd(28) + "reference".padStart(10) + "one-pass".padStart(10) + "ratio".padStart(8),
);
for (const [name] of cases) {
  const ref = best.get(`${name} reference`)!;
  const one = best.get(`${name} one-pass`)!;
  console.log(
    name.padEnd(28) +
      ref.toFixed(2).padStart(10) +
      one.toFixed(2).padStart(10) +
      `${(ref / one).toFixed(1)}x`.padStart(8),
  );
}
for (const [name] of bare) console.log(name.padEnd(28) + best.get(name)!.toFixed(2).padStart(10));
