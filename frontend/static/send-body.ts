/**
 * Streams file bytes to a response from an open file handle, never reading a whole file into
 * memory: `pipeline` respects the client's pace and destroys the file stream if the client goes.
 */
import type { ServerResponse } from "node:http";
import { createReadStream, read, type ReadStream } from "node:fs";
import type { FileHandle } from "node:fs/promises";
import { once } from "node:events";
import { randomBytes } from "node:crypto";
import { pipeline } from "node:stream/promises";
import type { ByteRange } from "./ranges.js";

/**
 * Read size: the default 64 KiB costs throughput (several times fewer syscalls and wakeups at
 * 128 KiB and up), while a slow client still holds at most about two chunks in memory.
 */
export const READ_CHUNK_BYTES = 128 * 1024;

/**
 * fs operations for streams that borrow a descriptor: a destroyed fs stream closes its fd even
 * with `autoClose: false`, so `close` is a no-op here and the FileHandle stays the only owner.
 */
const BORROWED_FD = { read, close: (_fd: number, done: (err: null) => void) => done(null) };

/**
 * A stream over the handle's descriptor, read with the callback fs API (faster than
 * `FileHandle.createReadStream`). The caller closes the handle, after `settled`.
 */
function rangeStream(handle: FileHandle, range: ByteRange): ReadStream {
  return createReadStream("", {
    fd: handle.fd,
    fs: BORROWED_FD,
    start: range.start,
    end: range.end,
    autoClose: false,
    highWaterMark: READ_CHUNK_BYTES,
  });
}

/** Waits until no read is in flight on the descriptor, so closing the handle is safe. */
async function settled(stream: ReadStream): Promise<void> {
  if (stream.closed) return;
  if (!stream.destroyed) stream.destroy();
  await once(stream, "close");
}

/**
 * `pipeline(source, res)`, given up when `signal` fires. A pipeline into a response that is
 * queued behind others on its connection never settles once the client is gone (the response
 * gets no socket, so no `close`): the caller must not wait for it to close the file.
 */
function pipeTo(
  source: NodeJS.ReadableStream | AsyncIterable<Buffer>,
  res: ServerResponse,
  signal: AbortSignal | undefined,
): Promise<void> {
  const piped = pipeline(source, res);
  if (signal === undefined) return piped;
  piped.catch(() => {});
  return new Promise((resolve, reject) => {
    const onAbort = (): void => {
      res.destroy();
      reject(signal.reason instanceof Error ? signal.reason : new Error("client left"));
    };
    if (signal.aborted) return onAbort();
    signal.addEventListener("abort", onAbort, { once: true });
    piped.then(
      () => {
        signal.removeEventListener("abort", onAbort);
        resolve();
      },
      (err: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(err instanceof Error ? err : new Error(String(err)));
      },
    );
  });
}

/** Bytes `range.start..range.end` (inclusive) of the file, then the end of the response. */
export async function sendRange(
  res: ServerResponse,
  handle: FileHandle,
  range: ByteRange,
  signal?: AbortSignal,
): Promise<void> {
  const stream = rangeStream(handle, range);
  try {
    await pipeTo(stream, res, signal);
  } finally {
    await settled(stream);
  }
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
    const stream = rangeStream(handle, part.range);
    try {
      for await (const chunk of stream) yield chunk as Buffer;
    } finally {
      await settled(stream);
    }
  }
  yield layout.tail;
}

export async function sendMultipart(
  res: ServerResponse,
  handle: FileHandle,
  layout: MultipartLayout,
  signal?: AbortSignal,
): Promise<void> {
  const chunks = multipartChunks(handle, layout);
  try {
    await pipeTo(chunks, res, signal);
  } finally {
    // Given up on abort: the generator's own stream is closed by its `finally`.
    void chunks.return(undefined).catch(() => {});
  }
}
