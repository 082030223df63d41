"""StreamedInput: wsgi.input for a body that arrives as `body` events, with credit granted back."""

import threading
import unittest

from ferry_wsgi.body import BodyAborted, StreamedInput


class Streamed(unittest.TestCase):
    def make(self, window=8):
        grants = []
        stream = StreamedInput(grants.append, window=window, timeout=2)
        stream.start()
        return stream, grants

    def test_reads_across_chunks(self):
        s, grants = self.make()
        s.feed(b"ab\ncd", False)
        s.feed(b"ef\ngh", False)
        s.feed(b"", True)
        self.assertEqual(s.readline(), b"ab\n")
        self.assertEqual(s.read(2), b"cd")
        self.assertEqual(list(s), [b"ef\n", b"gh"])
        self.assertEqual(s.read(), b"")
        self.assertEqual(grants[0], 8)

    def test_readline_with_limit_and_readlines(self):
        s, _ = self.make()
        s.feed(b"abcdef\nxy\n", True)
        self.assertEqual(s.readline(3), b"abc")
        self.assertEqual(s.readlines(), [b"def\n", b"xy\n"])

    def test_credit_follows_consumption_and_a_starved_reader_asks_for_more(self):
        s, grants = self.make(window=4)

        def produce():
            # A frontend that sends only what it was granted.
            sent = 0
            for part in (b"1234", b"5678", b"9"):
                for _ in range(400):
                    if sum(grants) - sent >= len(part):
                        break
                    threading.Event().wait(0.005)
                sent += len(part)
                s.feed(part, part == b"9")

        t = threading.Thread(target=produce)
        t.start()
        self.assertEqual(s.read(), b"123456789")
        t.join()
        self.assertGreaterEqual(sum(grants), 8)

    def test_read_n_waits_for_n_bytes_or_eof(self):
        s, _ = self.make()
        s.feed(b"abc", False)
        threading.Timer(0.05, s.feed, (b"defgh", False)).start()
        threading.Timer(0.10, s.feed, (b"ij", True)).start()
        self.assertEqual(s.read(6), b"abcdef")
        self.assertEqual(s.read(100), b"ghij")
        self.assertEqual(s.read(1), b"")

    def test_readline_waits_for_the_newline_or_its_limit(self):
        s, _ = self.make()
        s.feed(b"ab", False)
        threading.Timer(0.05, s.feed, (b"cd", False)).start()
        threading.Timer(0.10, s.feed, (b"e\nfghij", True)).start()
        self.assertEqual(s.readline(4), b"abcd")
        self.assertEqual(s.readline(), b"e\n")
        self.assertEqual(s.readline(0), b"")
        self.assertEqual(s.readline(None), b"fghij")

    def test_abort_ends_reads_with_an_error(self):
        s, _ = self.make()
        s.feed(b"par", False)
        s.abort("client disconnected")
        self.assertEqual(s.read(3), b"par")
        with self.assertRaises(BodyAborted):
            s.read(1)


WINDOW = 1024
CHUNK = 300  # the frontend's pieces do not line up with the window or with lines


def body_of(size):
    """Lines of varying length, so line reads cross chunk and window boundaries."""
    out = bytearray()
    i = 0
    while len(out) < size:
        out += b"%d:" % i + b"x" * (i % 97) + b"\n"
        i += 1
    return bytes(out[:size])


def read_all(stream, style, length):
    """The body as an app reading it `style` would see it."""
    if style == "read()":
        return stream.read()
    if style == "read(CONTENT_LENGTH)":
        return stream.read(length)
    if style == "read(more than the body)":
        return stream.read(length + 1000)
    if style == "read(1000) until empty":
        return b"".join(iter(lambda: stream.read(1000), b""))
    if style == "read(7) until empty":
        return b"".join(iter(lambda: stream.read(7), b""))
    if style == "readline() until empty":
        return b"".join(iter(stream.readline, b""))
    if style == "readline(50) until empty":
        return b"".join(iter(lambda: stream.readline(50), b""))
    if style == "readlines()":
        return b"".join(stream.readlines())
    if style == "iteration":
        return b"".join(stream)
    if style == "readinto":
        buf = bytearray(length)
        n = stream.readinto(buf)
        return bytes(buf[:n])
    raise AssertionError(style)


STYLES = [
    "read()",
    "read(CONTENT_LENGTH)",
    "read(more than the body)",
    "read(1000) until empty",
    "read(7) until empty",
    "readline() until empty",
    "readline(50) until empty",
    "readlines()",
    "iteration",
    "readinto",
]


class EveryReadStyle(unittest.TestCase):
    """A frontend that sends only what it was granted, in pieces of its own size: every read
    style gets the whole body, whatever its size against the window."""

    def test_every_style_at_sizes_around_the_window(self):
        for size in (0, 1, CHUNK, WINDOW - 1, WINDOW, WINDOW + 1, 2 * WINDOW + 7, 20 * WINDOW + 3):
            for style in STYLES:
                with self.subTest(size=size, style=style):
                    body = body_of(size)
                    self.assertEqual(self.stream_through(body, style), body)

    def stream_through(self, body, style):
        grants = []
        cond = threading.Condition()

        def grant(n):
            with cond:
                grants.append(n)
                cond.notify_all()

        stream = StreamedInput(grant, window=WINDOW, timeout=5)

        def produce():
            sent = 0
            while True:
                with cond:
                    if not cond.wait_for(lambda: sum(grants) > sent or sent >= len(body), 5):
                        return  # the reader stopped granting: the test fails on its read
                    n = min(CHUNK, sum(grants) - sent, len(body) - sent)
                piece = body[sent : sent + n]
                sent += n
                stream.feed(piece, sent >= len(body))
                if sent >= len(body):
                    return

        stream.start()
        producer = threading.Thread(target=produce)
        producer.start()
        try:
            return read_all(stream, style, len(body))
        finally:
            producer.join(10)


if __name__ == "__main__":
    unittest.main()
