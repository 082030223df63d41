/** The frontend's WebSocket pieces that need no socket: handshake checks, close codes, config. */
import { describe, expect, it } from "vitest";
import type { IncomingHttpHeaders } from "node:http";
import {
  checkHandshake,
  offeredProtocols,
  wantsWebSocket,
} from "../../../frontend/ws/handshake.js";
import { closeReason, sendableCloseCode } from "../../../frontend/ws/session.js";
import { validateConfig } from "../../../frontend/config/validate.js";
import { DEFAULT_CONFIG } from "../../../frontend/config/defaults.js";
import { ConfigError } from "../../../frontend/errors.js";

const GOOD: IncomingHttpHeaders = {
  host: "x",
  upgrade: "websocket",
  connection: "keep-alive, Upgrade",
  "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==",
  "sec-websocket-version": "13",
};

describe("checkHandshake", () => {
  it("accepts a valid handshake and lists the offered subprotocols in order", () => {
    expect(checkHandshake("GET", "1.1", GOOD)).toEqual({ ok: true, protocols: [] });
    expect(
      checkHandshake("GET", "1.1", { ...GOOD, "sec-websocket-protocol": "b.v2, a.v1" }),
    ).toEqual({ ok: true, protocols: ["b.v2", "a.v1"] });
  });

  const bad: Array<[string, string | undefined, string, IncomingHttpHeaders]> = [
    ["POST", "POST", "1.1", GOOD],
    ["HTTP/1.0", "GET", "1.0", GOOD],
    ["Upgrade not websocket", "GET", "1.1", { ...GOOD, upgrade: "websocket, h2c" }],
    ["no Connection: upgrade", "GET", "1.1", { ...GOOD, connection: "keep-alive" }],
    ["version 8", "GET", "1.1", { ...GOOD, "sec-websocket-version": "8" }],
    ["no key", "GET", "1.1", { ...GOOD, "sec-websocket-key": undefined }],
    ["short key", "GET", "1.1", { ...GOOD, "sec-websocket-key": "c2hvcnQ=" }],
    ["key not base64", "GET", "1.1", { ...GOOD, "sec-websocket-key": "!GhlIHNhbXBsZSBub25jZQ==" }],
    ["protocol not a token", "GET", "1.1", { ...GOOD, "sec-websocket-protocol": "a b" }],
    ["empty protocol", "GET", "1.1", { ...GOOD, "sec-websocket-protocol": "a,,b" }],
    ["protocol twice", "GET", "1.1", { ...GOOD, "sec-websocket-protocol": "a, a" }],
  ];
  for (const [name, method, version, headers] of bad) {
    it(`refuses: ${name}`, () => {
      const verdict = checkHandshake(method, version, headers);
      expect(verdict.ok).toBe(false);
    });
  }

  it("tells WebSocket upgrades from other Upgrade protocols", () => {
    expect(wantsWebSocket({ upgrade: "WebSocket" })).toBe(true);
    expect(wantsWebSocket({ upgrade: "h2c" })).toBe(false);
    expect(wantsWebSocket({})).toBe(false);
    expect(offeredProtocols(undefined)).toEqual([]);
  });
});

describe("close frames", () => {
  it("sends only codes a close frame may carry", () => {
    for (const code of [1000, 1001, 1008, 1011, 1013, 3000, 4999])
      expect(sendableCloseCode(code)).toBe(true);
    for (const code of [0, 999, 1004, 1005, 1006, 1015, 2000, 5000])
      expect(sendableCloseCode(code)).toBe(false);
  });

  it("cuts a reason to 123 bytes, never inside a character", () => {
    expect(closeReason("bye")).toBe("bye");
    const cut = closeReason("é".repeat(100));
    expect(Buffer.byteLength(cut)).toBe(122);
    expect(cut).toBe("é".repeat(61));
  });
});

describe("websocket config", () => {
  const withGroup = (websocket: unknown) => {
    const raw = structuredClone(DEFAULT_CONFIG) as unknown as {
      groups: { default: Record<string, unknown> };
    };
    raw.groups.default.websocket = websocket;
    return raw;
  };

  it("fills defaults", () => {
    const config = validateConfig(structuredClone(DEFAULT_CONFIG));
    expect(config.groups.default!.websocket).toEqual({
      maxMessageBytes: 1024 * 1024,
      pingInterval: 30_000,
      perMessageDeflate: false,
    });
  });

  it("refuses unknown keys and out-of-range values, with their paths", () => {
    try {
      validateConfig(withGroup({ maxMessageBytes: 0, pingInterval: -1, colour: 1 }));
      expect.unreachable();
    } catch (err) {
      const paths = (err as ConfigError).problems.map((p) => p.path).sort();
      expect(paths).toEqual([
        "groups.default.websocket.colour",
        "groups.default.websocket.maxMessageBytes",
        "groups.default.websocket.pingInterval",
      ]);
    }
  });
});
