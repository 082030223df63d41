"""`wsgi.input` for a streamed request body (`stream: true`): `body` events fill it, the app's
reads drain it, and the handler grants the frontend credit as the app consumes bytes, so no more
than WINDOW bytes wait here at any time."""

import io
import threading

#: Bytes of request body the frontend may send before more credit (and what we buffer at most).
WINDOW = 256 * 1024
#: Seconds a read waits for the next chunk before the upload counts as stalled.
READ_TIMEOUT = 60.0


class BodyAborted(IOError):
    """The upload ended early: the client went away or the frontend cancelled the request."""


class StreamedInput(io.RawIOBase):
    def __init__(self, grant, window=WINDOW, timeout=READ_TIMEOUT):
        """`grant(nbytes)` sends a `credit` to the frontend (called from the reading thread)."""
        super().__init__()
        self._grant = grant
        self._window = window
        self._timeout = timeout
        self._cond = threading.Condition()
        self._chunks = []
        self._buffer = b""
        self._pos = 0  # where the unread part of _buffer begins
        self._eof = False
        self._error = None
        self._consumed = 0  # bytes read since the last credit
        self._outstanding = 0  # bytes the frontend may still send (granted, not yet received)

    # ------------------------------------------------------------ producer (control thread)

    def start(self):
        self._give(self._window)

    def feed(self, data, end):
        with self._cond:
            if data:
                self._chunks.append(data)
                self._outstanding -= len(data)
            if end:
                self._eof = True
            self._cond.notify_all()

    def abort(self, reason):
        with self._cond:
            if not self._eof:
                self._error = reason
            self._cond.notify_all()

    # ------------------------------------------------------------ consumer (app thread)

    def _give(self, nbytes):
        with self._cond:
            self._outstanding += nbytes
        self._grant(nbytes)

    def readable(self):
        return True

    def _fill(self):
        """Wait for at least one more chunk; False at the end of the body."""
        with self._cond:
            starved = not self._chunks and not self._eof and self._outstanding <= 0
        if starved:
            # The app wants more than it has consumed so far (one long line, say): let the
            # frontend send another window rather than wait forever.
            self._consumed = 0
            self._give(self._window)
        with self._cond:
            waited = False
            while not self._chunks and not self._eof and self._error is None:
                if waited:
                    raise BodyAborted("request body stalled")
                waited = not self._cond.wait(self._timeout)
            if self._chunks:
                chunks, self._chunks = self._chunks, []
                if self._pos < len(self._buffer):
                    chunks.insert(0, self._buffer[self._pos :])
                self._buffer = chunks[0] if len(chunks) == 1 else b"".join(chunks)
                self._pos = 0
                return True
            if self._error is not None and not self._eof:
                raise BodyAborted(self._error)
            return False

    def _take(self, n):
        """Up to `n` buffered bytes. The buffer is consumed by moving `_pos`, not by slicing off
        what was taken, so reading a chunk line by line copies each byte once."""
        buf, pos = self._buffer, self._pos
        if n >= len(buf) - pos:
            out = buf[pos:] if pos else buf
            self._buffer, self._pos = b"", 0
        else:
            out = buf[pos : pos + n]
            self._pos = pos + n
        self._consumed += len(out)
        if self._consumed >= self._window // 2 and not self._eof:
            consumed, self._consumed = self._consumed, 0
            self._give(consumed)
        return out

    def read(self, size=-1):
        """Up to `size` bytes, fewer only at the end of the body (file semantics: a short read
        means EOF, so an app may read `CONTENT_LENGTH` in one call); all of it without `size`."""
        if size is None or size < 0:
            parts = [self._take(len(self._buffer))]
            while self._fill():
                parts.append(self._take(len(self._buffer)))
            return b"".join(parts)
        if size <= len(self._buffer) - self._pos:
            return self._take(size)
        parts = []
        left = size
        while True:
            if self._pos < len(self._buffer):
                piece = self._take(left)
                parts.append(piece)
                left -= len(piece)
            if not left or not self._fill():
                break
        return parts[0] if len(parts) == 1 else b"".join(parts)

    def readinto(self, b):
        data = self.read(len(b))
        b[: len(data)] = data
        return len(data)

    def readline(self, size=-1):
        """One line (up to and including its newline), at most `size` bytes; waits for more of the
        body until then or EOF."""
        if size is None:
            size = -1
        parts = []
        have = 0
        while True:
            end = self._buffer.find(b"\n", self._pos)
            n = end + 1 - self._pos if end >= 0 else len(self._buffer) - self._pos
            if 0 <= size < have + n:
                n, end = size - have, -1  # cut at `size`: the line is not complete
            if n:
                parts.append(self._take(n))
                have += n
            if end >= 0 or have == size or not self._fill():
                break
        return parts[0] if len(parts) == 1 else b"".join(parts)

    def readlines(self, hint=-1):
        lines = []
        total = 0
        while True:
            line = self.readline()
            if not line:
                return lines
            lines.append(line)
            total += len(line)
            if 0 < hint <= total:
                return lines

    def __iter__(self):
        return self

    def __next__(self):
        line = self.readline()
        if not line:
            raise StopIteration
        return line
