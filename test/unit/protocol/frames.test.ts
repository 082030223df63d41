import { describe, expect, it } from "vitest";
import {
  decodeEventFrames,
  decodeReplyFrames,
  decodeRequestFrames,
  encodeToFrontend,
  encodeToHandler,
  isProtocolError,
  Limits,
  pushPayloads,
  splitTopicFrames,
  topicIs,
} from "../../../protocol/index.js";

const t = (s: string) => Buffer.from(s, "utf8");
const claim = encodeToFrontend({ kind: "claim", hid: "h1", conn: 7, req: 12, token: 5 });
const cancel = encodeToHandler({
  kind: "cancel",
  fid: "web-1",
  conn: 7,
  req: 12,
  reason: "timeout",
});

function codeOf(run: () => unknown): string | undefined {
  try {
    run();
  } catch (err) {
    expect(isProtocolError(err)).toBe(true);
    return (err as { code: string }).code;
  }
  return undefined;
}

const kinds = (decoded: readonly { ok: boolean; msg?: { kind: string } }[] | undefined) =>
  decoded?.map((d) => (d.ok ? d.msg!.kind : "invalid"));

describe("frames", () => {
  it("PUSH/PULL: 1 to 1,024 frames, each a payload", () => {
    expect(pushPayloads([cancel])).toEqual([cancel]);
    expect(pushPayloads(Array(Limits.maxBatch).fill(cancel))).toHaveLength(Limits.maxBatch);
    expect(codeOf(() => pushPayloads([]))).toBe("ERR_FRAMES");
    expect(codeOf(() => pushPayloads(Array(Limits.maxBatch + 1).fill(cancel)))).toBe("ERR_FRAMES");
  });

  it("PUB/SUB: [topic, payload x 1..1,024]", () => {
    expect(splitTopicFrames([t("web-1"), claim]).payloads).toEqual([claim]);
    expect(splitTopicFrames([t("a"), claim, claim]).payloads).toHaveLength(2);
    expect(codeOf(() => splitTopicFrames([claim]))).toBe("ERR_FRAMES");
    expect(
      codeOf(() => splitTopicFrames([t("a"), ...Array(Limits.maxBatch + 1).fill(claim)])),
    ).toBe("ERR_FRAMES");
  });

  it("a batch decodes in order; an invalid payload is dropped on its own", () => {
    const decoded = decodeReplyFrames([t("web-1"), claim, t("junk"), cancel, claim], "web-1");
    expect(kinds(decoded)).toEqual(["claim", "invalid", "invalid", "claim"]);
    const errors = decoded!.flatMap((d) => (d.ok ? [] : [d.error.code]));
    expect(errors).toEqual(["ERR_TRAILING_BYTES", "ERR_WRONG_DIRECTION"]);
    expect(kinds(decodeRequestFrames([cancel, cancel]))).toEqual(["cancel", "cancel"]);
  });

  it("topics compare exactly: web-1 is not web-10", () => {
    expect(topicIs(t("web-1"), "web-1")).toBe(true);
    expect(topicIs(t("web-10"), "web-1")).toBe(false);
    expect(topicIs(t("web-"), "web-1")).toBe(false);
    expect(topicIs(t("zoë"), "zoë")).toBe(true);
  });

  it("replies for this frontend or *, nothing for a topic that only shares a prefix", () => {
    expect(kinds(decodeReplyFrames([t("web-1"), claim], "web-1"))).toEqual(["claim"]);
    expect(kinds(decodeReplyFrames([t("*"), claim], "web-1"))).toEqual(["claim"]);
    expect(decodeReplyFrames([t("web-10"), claim], "web-1")).toBeUndefined();
    const wrong = decodeReplyFrames([t("web-1"), cancel], "web-1")![0]!;
    expect(wrong.ok ? undefined : wrong.error.code).toBe("ERR_WRONG_DIRECTION");
  });

  it("events for this handler or *", () => {
    expect(kinds(decodeEventFrames([t("h1"), cancel], "h1"))).toEqual(["cancel"]);
    expect(kinds(decodeEventFrames([t("*"), cancel], "h1"))).toEqual(["cancel"]);
    expect(decodeEventFrames([t("h11"), cancel], "h1")).toBeUndefined();
  });

  it("a v1 payload is ERR_VERSION and names its sender", () => {
    const v1 = Buffer.from(
      "84a17601a46b696e64a568656c6c6fa3686964a3707931a8636170616369747908",
      "hex",
    );
    const [d] = decodeReplyFrames([t("*"), v1], "web-1")!;
    expect(d!.ok).toBe(false);
    if (!d!.ok) {
      expect(d!.error.code).toBe("ERR_VERSION");
      expect(d!.error.peer).toEqual({ version: 1, id: "py1", kind: "hello" });
    }
  });
});
