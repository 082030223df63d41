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

    def test_abort_ends_reads_with_an_error(self):
        s, _ = self.make()
        s.feed(b"par", False)
        s.abort("client disconnected")
        self.assertEqual(s.read(3), b"par")
        with self.assertRaises(BodyAborted):
            s.read(1)


if __name__ == "__main__":
    unittest.main()
