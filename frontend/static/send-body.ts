/**
 * Streams file bytes to a response from an open file handle, never reading a whole file into
 * memory: `pipeline` respects the client's pace and destroys the file stream if the client goes.
 */
import type { ServerResponse } from "node:http";
import type { FileHandle } from "node:fs/promises";
import { randomBytes } from "node:crypto";
import { pipeline } from "node:stream/promises";
import type { ByteRange } from "./ranges.js";

/** Bytes `range.start..range.end` (inclusive) of the file, then the end of the response. */
export async function sendRange(
  res: ServerResponse,
  handle: FileHandle,
  range: ByteRange,
): Promise<void> {
  const stream = handle.createReadStream({ start: range.start, end: range.end, autoClose: false });
  await pipeline(stream, res);
}

export interface MultipartLayout {
  boundary: string;
  /** The `Content-Type` of the whole response. */
  contentType: string;
  /** Exact length of the multipart body, so the response carries Content-Length. */
  length: number;
  parts: { head: Buffer; range: ByteRange }[];
  tail: Buffer;
}

/** A multipart/byteranges body (RFC 9110 section 14.6) for `ranges` of a file of `size` bytes. */
export function multipartLayout(
  ranges: ByteRange[],
  size: number,
  partType: string,
): MultipartLayout {
  const boundary = `ferry-${randomBytes(12).toString("hex")}`;
  const parts = ranges.map((range) => ({
    range,
    head: Buffer.from(
      `\r\n--${boundary}\r\nContent-Type: ${partType}\r\n` +
        `Content-Range: bytes ${range.start}-${range.end}/${size}\r\n\r\n`,
      "latin1",
    ),
  }));
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`, "latin1");
  const length = parts.reduce(
    (n, p) => n + p.head.length + (p.range.end - p.range.start + 1),
    tail.length,
  );
  return {
    boundary,
    contentType: `multipart/byteranges; boundary=${boundary}`,
    length,
    parts,
    tail,
  };
}

async function* multipartChunks(
  handle: FileHandle,
  layout: MultipartLayout,
): AsyncGenerator<Buffer> {
  for (const part of layout.parts) {
    yield part.head;
    const stream = handle.createReadStream({
      start: part.range.start,
      end: part.range.end,
      autoClose: false,
    });
    for await (const chunk of stream) yield chunk as Buffer;
  }
  yield layout.tail;
}

export async function sendMultipart(
  res: ServerResponse,
  handle: FileHandle,
  layout: MultipartLayout,
): Promise<void> {
  await pipeline(multipartChunks(handle, layout), res);
}
