/**
 * Writes msgpack in its canonical (smallest) forms straight into a shared slab, as msgpackr does:
 * each message is a view of the slab, and the next message starts after it, so bytes already
 * handed out are never overwritten. A message that outgrows the slab moves to a buffer of its
 * own; a large one keeps that buffer, so the slab never holds on to a big body.
 */

const SLAB_SIZE = 64 * 1024;
/** A message this large gets its own buffer instead of a share of the slab. */
const OWN_BUFFER_FROM = SLAB_SIZE / 4;

/** Node's native string writers behind Buffer#write, without its argument handling. */
type WritingBuffer = Buffer & {
  latin1Write(text: string, offset: number, length: number): number;
  utf8Write(text: string, offset: number, length: number): number;
};

const TWO_32 = 0x1_0000_0000;

/** ES2024 String method, in Node since 20. */
type WellFormed = string & { isWellFormed(): boolean };

/** Writes a 32-bit big-endian word (plain stores: Buffer#writeUInt32BE checks its arguments). */
function word(buf: Uint8Array, pos: number, n: number): number {
  buf[pos] = n >>> 24;
  buf[pos + 1] = (n >>> 16) & 0xff;
  buf[pos + 2] = (n >>> 8) & 0xff;
  buf[pos + 3] = n & 0xff;
  return pos + 4;
}

export class WireWriter {
  private slab = Buffer.allocUnsafeSlow(SLAB_SIZE) as WritingBuffer;
  /** Where the slab's free space starts. */
  private slabPos = 0;
  /** The buffer being written: the slab, or a message's own buffer once it outgrew the slab. */
  buf: WritingBuffer = this.slab;
  /** Where the message being written starts in `buf`. */
  private start = 0;
  pos = 0;

  /** Starts a message. */
  begin(): void {
    if (this.slab.length - this.slabPos < 1024) {
      this.slab = Buffer.allocUnsafeSlow(SLAB_SIZE) as WritingBuffer;
      this.slabPos = 0;
    }
    this.buf = this.slab;
    this.start = this.pos = this.slabPos;
  }

  /** The message written since `begin`, as a view. */
  finish(): Buffer {
    const out = this.buf.subarray(this.start, this.pos);
    if (this.buf === this.slab) this.slabPos = this.pos;
    this.buf = this.slab;
    return out;
  }

  /**
   * The message, a map whose first `headerSize` bytes were kept for its header (1: fixmap, 3:
   * map16), now that its `count` of entries is known.
   */
  finishMap(headerSize: number, count: number): Buffer {
    const buf = this.buf;
    if (headerSize === 1) buf[this.start] = 0x80 | count;
    else {
      buf[this.start] = 0xde;
      buf[this.start + 1] = count >>> 8;
      buf[this.start + 2] = count & 0xff;
    }
    return this.finish();
  }

  /** Forgets the message written since `begin` (it failed validation). */
  abort(): void {
    this.buf = this.slab;
  }

  /** Makes room for `n` more bytes. */
  ensure(n: number): void {
    if (this.pos + n > this.buf.length) this.grow(n);
  }

  private grow(n: number): void {
    const used = this.pos - this.start;
    const need = used + n;
    let next: WritingBuffer;
    if (need <= OWN_BUFFER_FROM) {
      // Continue in a fresh slab (views of the old one stay valid).
      next = Buffer.allocUnsafeSlow(SLAB_SIZE) as WritingBuffer;
      this.slab = next;
      this.slabPos = 0;
    } else {
      // Grow by a quarter beyond the need: a big bin is usually last, so little is wasted.
      next = Buffer.allocUnsafeSlow(need + (need >> 2) + 1024) as WritingBuffer;
    }
    this.buf.copy(next, 0, this.start, this.pos);
    this.buf = next;
    this.start = 0;
    this.pos = used;
  }

  byte(b: number): void {
    this.buf[this.pos++] = b;
  }

  /** Bytes as they are (room already made). */
  raw(bytes: Uint8Array): void {
    const buf = this.buf;
    let pos = this.pos;
    for (let i = 0; i < bytes.length; i++) buf[pos++] = bytes[i]!;
    this.pos = pos;
  }

  /** A non-negative integer below 2^53 in its smallest form (uint64 past 2^32). */
  uint(n: number): void {
    this.ensure(9);
    const buf = this.buf;
    let pos = this.pos;
    if (n < 0x80) buf[pos++] = n;
    else if (n < 0x100) {
      buf[pos++] = 0xcc;
      buf[pos++] = n;
    } else if (n < 0x10000) {
      buf[pos++] = 0xcd;
      buf[pos++] = n >>> 8;
      buf[pos++] = n & 0xff;
    } else if (n < TWO_32) {
      buf[pos++] = 0xce;
      pos = word(buf, pos, n);
    } else {
      buf[pos++] = 0xcf;
      pos = word(buf, pos, Math.floor(n / TWO_32));
      pos = word(buf, pos, n >>> 0);
    }
    this.pos = pos;
  }

  bool(value: boolean): void {
    this.ensure(1);
    this.buf[this.pos++] = value ? 0xc3 : 0xc2;
  }

  /** A header for a str, bin, array or map of `n` items or bytes; `codes` are its 8/16/32 forms. */
  private header(n: number, fix: number, fixMax: number, c8: number, c16: number, c32: number) {
    this.ensure(5);
    const buf = this.buf;
    let pos = this.pos;
    if (n <= fixMax) buf[pos++] = fix | n;
    else if (n < 0x100 && c8 !== 0) {
      buf[pos++] = c8;
      buf[pos++] = n;
    } else if (n < 0x10000) {
      buf[pos++] = c16;
      buf[pos++] = n >>> 8;
      buf[pos++] = n & 0xff;
    } else {
      buf[pos++] = c32;
      pos = word(buf, pos, n);
    }
    this.pos = pos;
  }

  arrayHeader(n: number): void {
    this.header(n, 0x90, 15, 0, 0xdc, 0xdd);
  }

  mapHeader(n: number): void {
    this.header(n, 0x80, 15, 0, 0xde, 0xdf);
  }

  bin(bytes: Uint8Array): void {
    this.header(bytes.length, 0, -1, 0xc4, 0xc5, 0xc6);
    this.ensure(bytes.length);
    if (bytes.length <= 32) this.raw(bytes);
    else {
      this.buf.set(bytes, this.pos);
      this.pos += bytes.length;
    }
  }

  /**
   * A str of at most `max` UTF-8 bytes, or false (nothing written) when it is longer or has a
   * lone surrogate, which has no UTF-8 form.
   */
  str(s: string, max: number): boolean {
    const n = s.length;
    if (n > max) return false; // UTF-8 never takes fewer bytes than UTF-16 units
    if (n <= 64) {
      // Most strings are short ASCII: copy the units while checking them.
      this.ensure(n + 5); // header and text: nothing moves until the end of the string
      const at = this.pos;
      this.header(n, 0xa0, 31, 0xd9, 0xda, 0xdb);
      const buf = this.buf;
      let pos = this.pos;
      let i = 0;
      for (; i < n; i++) {
        const c = s.charCodeAt(i);
        if (c >= 0x80) break;
        buf[pos++] = c;
      }
      if (i === n) {
        this.pos = pos;
        return true;
      }
      this.pos = at;
    }
    const length = Buffer.byteLength(s, "utf8");
    if (length > max) return false;
    const ascii = length === n;
    if (!ascii && !(s as WellFormed).isWellFormed()) return false;
    this.header(length, 0xa0, 31, 0xd9, 0xda, 0xdb);
    this.ensure(length);
    if (ascii) this.buf.latin1Write(s, this.pos, length);
    else this.buf.utf8Write(s, this.pos, length);
    this.pos += length;
    return true;
  }
}
