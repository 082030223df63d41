"""Running WSGI apps and the messages their responses become (a recording channel, no sockets)."""

import io
import sys
import threading
import unittest

from ferry_wsgi.exchange import Exchange
from ferry_wsgi.filewrapper import FileWrapper

from support import FID, HID, call, request, token_for


class Closing:
    """An iterable with close(), recording what happened."""

    def __init__(self, chunks, fail_at=None):
        self.chunks = chunks
        self.fail_at = fail_at
        self.closed = 0

    def __iter__(self):
        for i, chunk in enumerate(self.chunks):
            if i == self.fail_at:
                raise RuntimeError("boom in the body")
            yield chunk

    def close(self):
        self.closed += 1


def simple(status="200 OK", headers=(("Content-Type", "text/plain"),), body=(b"hello",)):
    def app(environ, start_response):
        start_response(status, list(headers))
        return list(body)

    return app


class FastReplies(unittest.TestCase):
    def test_list_body_is_one_head_message_with_end(self):
        rec, _, _, log = call(simple(body=[b"hel", b"lo"]))
        self.assertEqual(log.entries, [])
        self.assertEqual(len(rec.sent), 1)
        topic, head = rec.sent[0]
        self.assertEqual(topic, FID.encode())
        self.assertEqual(head["kind"], "head")
        self.assertEqual(head["hid"], HID)
        self.assertEqual(head["to"], [[1, 1, token_for(1)]])
        self.assertEqual(head["status"], 200)
        self.assertEqual(head["headers"], [["Content-Type", "text/plain"]])
        self.assertEqual(head["body"], b"hello")
        self.assertIs(head["end"], True)

    def test_empty_body_is_one_head_without_body(self):
        rec, _, _, _ = call(simple(status="204 No Content", headers=[], body=[]))
        self.assertEqual(rec.kinds, ["head"])
        self.assertNotIn("body", rec.messages[0])
        self.assertIs(rec.messages[0]["end"], True)

    def test_iterable_reaching_content_length_is_one_message(self):
        body = Closing([b"", b"hello", b""])

        def app(environ, start_response):
            start_response("200 OK", [("Content-Length", "5")])
            return body

        rec, _, _, _ = call(app)
        self.assertEqual(rec.kinds, ["head"])
        self.assertEqual(rec.messages[0]["body"], b"hello")
        self.assertIs(rec.messages[0]["end"], True)
        self.assertEqual(body.closed, 1)

    def test_content_length_kept_and_extra_bytes_not_sent(self):
        def app(environ, start_response):
            start_response("200 OK", [("Content-Length", "3")])
            return iter([b"ab", b"cdef", b"more"])

        rec, _, _, _ = call(app)
        self.assertEqual(rec.kinds, ["head", "data"])
        self.assertEqual(rec.body(), b"abc")
        self.assertIs(rec.messages[-1]["end"], True)
        self.assertIn(["Content-Length", "3"], rec.messages[0]["headers"])


class Streaming(unittest.TestCase):
    def test_generator_streams_chunk_by_chunk_skipping_empty_ones(self):
        seen = []

        def app(environ, start_response):
            start_response("200 OK", [("Content-Type", "text/plain")])
            for part in (b"", b"one", b"", b"two", b"", b"three", b""):
                seen.append(len(rec_holder[0].sent) if rec_holder else None)
                yield part

        rec_holder = []
        rec, _, _, _ = call(app)
        self.assertEqual(rec.kinds, ["head", "data", "data", "end"])
        self.assertEqual([m.get("body", m.get("data")) for m in rec.messages[:3]], [b"one", b"two", b"three"])
        self.assertNotIn("end", rec.messages[0])
        for m in rec.messages:
            self.assertNotEqual(m.get("data", b"x"), b"")  # never an empty chunk

    def test_chunks_leave_before_the_next_one_is_produced(self):
        holder = {}

        def app(environ, start_response):
            start_response("200 OK", [])
            yield b"first"
            holder["sent_before_second"] = list(holder["rec"].kinds)
            yield b"second"

        from support import ErrorLog, Recorder
        from ferry_wsgi.environ import EnvironBuilder
        from ferry_wsgi.response import run_app

        rec = Recorder()
        holder["rec"] = rec
        env = EnvironBuilder(False, False, io.StringIO()).build(request())
        run_app(app, env, rec.channel, Exchange(FID, 1, 1), ErrorLog())
        self.assertEqual(holder["sent_before_second"], ["head"])
        self.assertEqual(rec.kinds, ["head", "data", "end"])

    def test_only_empty_chunks_is_head_with_end(self):
        def app(environ, start_response):
            start_response("200 OK", [])
            return iter([b"", b""])

        rec, _, _, _ = call(app)
        self.assertEqual(rec.kinds, ["head"])
        self.assertIs(rec.messages[0]["end"], True)

    def test_write_callable_then_iterable(self):
        def app(environ, start_response):
            write = start_response("200 OK", [])
            write(b"a")
            write(b"")
            write(bytearray(b"b"))
            return [b"c"]

        rec, _, _, _ = call(app)
        self.assertEqual(rec.kinds, ["head", "data", "data"])
        self.assertEqual(rec.body(), b"abc")
        self.assertIs(rec.messages[-1]["end"], True)

    def test_large_chunk_is_split_below_the_binary_limit(self):
        from ferry_wsgi import response

        old = response.MAX_PIECE
        response.MAX_PIECE = 4
        try:
            rec, _, _, _ = call(simple(body=[b"0123456789"]))
        finally:
            response.MAX_PIECE = old
        self.assertEqual(rec.kinds, ["head", "data", "data"])
        self.assertEqual(rec.body(), b"0123456789")
        self.assertIs(rec.messages[-1]["end"], True)

    def test_file_wrapper(self):
        def app(environ, start_response):
            start_response("200 OK", [("Content-Length", "6")])
            return environ["wsgi.file_wrapper"](io.BytesIO(b"abcdef"), 2)

        rec, _, _, _ = call(app)
        self.assertEqual(rec.kinds, ["head"])
        self.assertEqual(rec.body(), b"abcdef")
        wrapper = FileWrapper(io.BytesIO(b"x"))
        wrapper.close()
        self.assertTrue(wrapper.filelike.closed)


class Errors(unittest.TestCase):
    def test_exception_before_start_response_is_an_error_reply(self):
        def app(environ, start_response):
            raise ZeroDivisionError("no")

        rec, _, _, log = call(app)
        self.assertEqual(rec.kinds, ["error"])
        self.assertEqual(rec.messages[0]["code"], "APP_ERROR")
        self.assertEqual(len(log.entries), 1)
        self.assertIs(log.entries[0][1][0], ZeroDivisionError)

    def test_exception_after_headers_sent_is_an_error_after_the_head(self):
        body = Closing([b"a", b"b", b"c"], fail_at=1)

        def app(environ, start_response):
            start_response("200 OK", [])
            return body

        rec, _, _, log = call(app)
        self.assertEqual(rec.kinds, ["head", "error"])
        self.assertEqual(body.closed, 1)
        self.assertEqual(len(log.entries), 1)

    def test_exc_info_replaces_headers_not_yet_sent(self):
        def app(environ, start_response):
            start_response("200 OK", [("X-A", "1")])
            try:
                raise ValueError("x")
            except ValueError:
                start_response("500 Internal Server Error", [("X-B", "2")], sys.exc_info())
            return [b"oops"]

        rec, _, _, log = call(app)
        self.assertEqual(log.entries, [])
        self.assertEqual(rec.messages[0]["status"], 500)
        self.assertEqual(rec.messages[0]["headers"], [["X-B", "2"]])

    def test_exc_info_after_headers_sent_reraises(self):
        def app(environ, start_response):
            write = start_response("200 OK", [])
            write(b"partial")
            try:
                raise KeyError("late")
            except KeyError:
                start_response("500 Internal Server Error", [], sys.exc_info())
            return [b"never"]

        rec, _, _, log = call(app)
        self.assertEqual(rec.kinds, ["head", "error"])
        self.assertIs(log.entries[0][1][0], KeyError)

    def test_second_start_response_without_exc_info_is_an_error(self):
        def app(environ, start_response):
            start_response("200 OK", [])
            start_response("200 OK", [])
            return []

        rec, _, _, log = call(app)
        self.assertEqual(rec.kinds, ["error"])

    def test_bad_status_headers_and_body_types(self):
        cases = {
            "status not str": simple(status=200),
            "status without code": simple(status="OK"),
            "header not tuple": simple(headers=[["X", "1"]]),
            "header value not str": simple(headers=[("X", 1)]),
            "header injection": simple(headers=[("X", "a\r\nSet-Cookie: x=1")]),
            "body str": simple(body=["text"]),
            "no start_response": lambda e, s: [b"x"],
        }
        for name, app in cases.items():
            with self.subTest(name):
                rec, _, _, log = call(app)
                self.assertEqual(rec.kinds, ["error"])
                self.assertEqual(len(log.entries), 1)

    def test_close_is_called_even_when_close_fails_after_the_body(self):
        class BadClose(Closing):
            def close(self):
                super().close()
                raise OSError("close failed")

        body = BadClose([b"x"])

        def app(environ, start_response):
            start_response("200 OK", [])
            return body

        rec, _, _, log = call(app)
        self.assertEqual(body.closed, 1)
        self.assertEqual(rec.kinds, ["head", "end"])
        self.assertEqual(len(log.entries), 1)

    def test_hop_by_hop_headers_are_dropped(self):
        rec, _, _, _ = call(simple(headers=[("Connection", "close"), ("Transfer-Encoding", "chunked"), ("X", "1")]))
        self.assertEqual(rec.messages[0]["headers"], [["X", "1"]])


class Cancellation(unittest.TestCase):
    def test_cancelled_request_stops_streaming_and_closes(self):
        body = Closing([b"a", b"b", b"c"])
        ex = Exchange(FID, 1, 1)

        def app(environ, start_response):
            start_response("200 OK", [])

            def gen():
                yield b"a"
                ex.cancel("client disconnected")
                yield b"b"
                yield b"c"

            body.chunks = list(gen())  # produced eagerly: cancel happens before iteration
            return body

        rec, _, _, log = call(app, ex=ex)
        self.assertEqual(rec.kinds, [])
        self.assertEqual(body.closed, 1)
        self.assertEqual(log.entries, [])

    def test_flow_control_waits_for_credit(self):
        ex = Exchange(FID, 1, 1, window=4)

        def app(environ, start_response):
            start_response("200 OK", [])
            return iter([b"abcdef", b"gh"])

        def grant():
            # Wait until the first 4 bytes went out, then open the window.
            for _ in range(200):
                if ex.window == 0:
                    break
                threading.Event().wait(0.005)
            ex.add_credit(100)

        t = threading.Thread(target=grant)
        t.start()
        rec, _, _, _ = call(app, ex=ex)
        t.join()
        self.assertEqual(rec.body(), b"abcdefgh")
        self.assertEqual(rec.messages[0]["body"], b"abcd")


if __name__ == "__main__":
    unittest.main()
