import { describe, expect, it } from "vitest";
import {
  decodeEventFrames,
  decodeReplyFrames,
  decodeRequestFrames,
  encodeToFrontend,
  encodeToHandler,
  isProtocolError,
  pushPayload,
  splitTopicFrames,
  topicIs,
} from "../../../protocol/index.js";

const t = (s: string) => Buffer.from(s, "utf8");
const claim = encodeToFrontend({ kind: "claim", hid: "h1", conn: 7, req: 12 });
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

describe("frames", () => {
  it("PUSH/PULL: exactly one frame", () => {
    expect(pushPayload([cancel])).toBe(cancel);
    expect(codeOf(() => pushPayload([]))).toBe("ERR_FRAMES");
    expect(codeOf(() => decodeRequestFrames([t("x"), cancel]))).toBe("ERR_FRAMES");
  });

  it("PUB/SUB: exactly two frames", () => {
    expect(splitTopicFrames([t("web-1"), claim]).payload).toBe(claim);
    expect(codeOf(() => splitTopicFrames([claim]))).toBe("ERR_FRAMES");
    expect(codeOf(() => splitTopicFrames([t("a"), claim, claim]))).toBe("ERR_FRAMES");
  });

  it("topics compare exactly: web-1 is not web-10", () => {
    expect(topicIs(t("web-1"), "web-1")).toBe(true);
    expect(topicIs(t("web-10"), "web-1")).toBe(false);
    expect(topicIs(t("web-"), "web-1")).toBe(false);
    expect(topicIs(t("zoë"), "zoë")).toBe(true);
  });

  it("replies for this frontend or *, nothing for a topic that only shares a prefix", () => {
    expect(decodeReplyFrames([t("web-1"), claim], "web-1")).toMatchObject({ kind: "claim" });
    expect(decodeReplyFrames([t("*"), claim], "web-1")).toMatchObject({ kind: "claim" });
    expect(decodeReplyFrames([t("web-10"), claim], "web-1")).toBeUndefined();
    expect(codeOf(() => decodeReplyFrames([t("web-1"), cancel], "web-1"))).toBe(
      "ERR_WRONG_DIRECTION",
    );
  });

  it("events for this handler or *", () => {
    expect(decodeEventFrames([t("h1"), cancel], "h1")).toMatchObject({ kind: "cancel" });
    expect(decodeEventFrames([t("*"), cancel], "h1")).toMatchObject({ kind: "cancel" });
    expect(decodeEventFrames([t("h11"), cancel], "h1")).toBeUndefined();
  });
});
