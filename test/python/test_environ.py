"""The PEP 3333 environ built from `request` messages."""

import io
import unittest
import wsgiref.validate

from ferry_wsgi.environ import EnvironBuilder, decode_path, split_host, split_route, split_target
from ferry_wsgi.filewrapper import FileWrapper

from support import call, request


def build(multithread=False, multiprocess=False, **fields):
    return EnvironBuilder(multithread, multiprocess, io.StringIO()).build(request(**fields))


class CgiVariables(unittest.TestCase):
    def test_basic_request(self):
        env = build(
            method="POST",
            path="/api/items",
            query="x=1&y=%20",
            route="/api",
            headers=[
                ["host", "example.com:8080"],
                ["content-type", "application/json"],
                ["content-length", "2"],
                ["user-agent", "curl/8"],
            ],
            host="example.com:8080",
            body=b"{}",
            remote="10.0.0.7",
            rport=40000,
            port=8080,
        )
        self.assertEqual(env["REQUEST_METHOD"], "POST")
        self.assertEqual(env["SCRIPT_NAME"], "/api")
        self.assertEqual(env["PATH_INFO"], "/items")
        self.assertEqual(env["QUERY_STRING"], "x=1&y=%20")
        self.assertEqual(env["SERVER_NAME"], "example.com")
        self.assertEqual(env["SERVER_PORT"], "8080")
        self.assertEqual(env["SERVER_PROTOCOL"], "HTTP/1.1")
        self.assertEqual(env["REMOTE_ADDR"], "10.0.0.7")
        self.assertEqual(env["REMOTE_PORT"], "40000")
        self.assertEqual(env["CONTENT_TYPE"], "application/json")
        self.assertEqual(env["CONTENT_LENGTH"], "2")
        self.assertNotIn("HTTP_CONTENT_TYPE", env)
        self.assertNotIn("HTTP_CONTENT_LENGTH", env)
        self.assertEqual(env["HTTP_USER_AGENT"], "curl/8")
        self.assertEqual(env["HTTP_HOST"], "example.com:8080")
        self.assertEqual(env["RAW_URI"], "/api/items?x=1&y=%20")
        self.assertEqual(env["wsgi.input"].read(), b"{}")

    def test_wsgi_keys(self):
        env = build(scheme="https", multithread=True, multiprocess=False)
        self.assertEqual(env["wsgi.version"], (1, 0))
        self.assertEqual(env["wsgi.url_scheme"], "https")
        self.assertIs(env["wsgi.multithread"], True)
        self.assertIs(env["wsgi.multiprocess"], False)
        self.assertIs(env["wsgi.run_once"], False)
        self.assertIs(env["wsgi.file_wrapper"], FileWrapper)
        self.assertTrue(hasattr(env["wsgi.errors"], "write"))
        self.assertEqual(build(multiprocess=True)["wsgi.multiprocess"], True)

    def test_headers_upper_case_with_underscores_and_repeats_joined(self):
        env = build(
            headers=[
                ["host", "a"],
                ["x-forwarded-for", "1.1.1.1"],
                ["accept", "text/html"],
                ["X-Forwarded-For", "2.2.2.2"],
                ["accept", "*/*"],
                ["cookie", "a=1"],
                ["cookie", "b=2"],
            ]
        )
        self.assertEqual(env["HTTP_X_FORWARDED_FOR"], "1.1.1.1, 2.2.2.2")
        self.assertEqual(env["HTTP_ACCEPT"], "text/html, */*")
        self.assertEqual(env["HTTP_COOKIE"], "a=1; b=2")

    def test_header_names_with_underscores_are_dropped(self):
        env = build(headers=[["x_forwarded_for", "6.6.6.6"], ["x-real", "1"]])
        self.assertNotIn("HTTP_X_FORWARDED_FOR", env)
        self.assertEqual(env["HTTP_X_REAL"], "1")

    def test_header_values_are_latin1_native_strings(self):
        # Node hands header bytes over as latin-1 code points: kept as they are.
        self.assertEqual(build(headers=[["x-a", "caf\xe9"]])["HTTP_X_A"], "caf\xe9")
        # A value with wider code points was UTF-8 text: its bytes, one code point each.
        self.assertEqual(build(headers=[["x-a", "\u20ac"]])["HTTP_X_A"], "\xe2\x82\xac")

    def test_chunked_upload_gets_a_content_length(self):
        env = build(method="POST", headers=[["transfer-encoding", "chunked"]], body=b"abc")
        self.assertEqual(env["CONTENT_LENGTH"], "3")
        self.assertEqual(env["wsgi.input"].read(), b"abc")

    def test_no_body_no_content_length(self):
        env = build()
        self.assertNotIn("CONTENT_LENGTH", env)
        self.assertEqual(env["wsgi.input"].read(), b"")
        self.assertIs(env["wsgi.input_terminated"], True)

    def test_ferry_keys(self):
        env = build(conn=9, req=42, attempt=1)
        self.assertEqual(env["ferry.conn"], 9)
        self.assertEqual(env["ferry.req"], 42)
        self.assertEqual(env["ferry.attempt"], 1)


class Paths(unittest.TestCase):
    def test_percent_decoding_to_latin1_bytes(self):
        self.assertEqual(decode_path("/a%20b"), "/a b")
        self.assertEqual(decode_path("/caf%C3%A9"), "/caf\xc3\xa9")  # UTF-8 bytes, one per char
        self.assertEqual(decode_path("/caf%E9"), "/caf\xe9")  # not UTF-8: still exact
        self.assertEqual(decode_path("/%FF%00"), "/\xff\x00")
        self.assertEqual(decode_path("/plain"), "/plain")
        self.assertEqual(decode_path("/a%2Fb"), "/a/b")

    def test_script_name_from_route_on_segment_boundaries(self):
        self.assertEqual(split_route("/api/x", "/api"), ("/api", "/x"))
        self.assertEqual(split_route("/api", "/api"), ("/api", ""))
        self.assertEqual(split_route("/api/", "/api/"), ("/api", "/"))
        self.assertEqual(split_route("/apix", "/api"), ("", "/apix"))
        self.assertEqual(split_route("/x", "/"), ("", "/x"))
        self.assertEqual(split_route("/x", ""), ("", "/x"))
        self.assertEqual(split_route("/a%20b/c%2F", "/a%20b"), ("/a b", "/c/"))

    def test_route_prefix_with_encoded_characters(self):
        env = build(path="/caf%C3%A9/x%20y", route="/caf%C3%A9")
        self.assertEqual(env["SCRIPT_NAME"], "/caf\xc3\xa9")
        self.assertEqual(env["PATH_INFO"], "/x y")


class Hosts(unittest.TestCase):
    def test_names_and_ports(self):
        self.assertEqual(split_host("example.com", "http"), ("example.com", "80"))
        self.assertEqual(split_host("example.com", "https"), ("example.com", "443"))
        self.assertEqual(split_host("example.com:8080", "http"), ("example.com", "8080"))
        self.assertEqual(split_host("127.0.0.1:9", "http"), ("127.0.0.1", "9"))

    def test_ipv6_literals(self):
        self.assertEqual(split_host("[::1]:8080", "http"), ("[::1]", "8080"))
        self.assertEqual(split_host("[2001:db8::1]", "https"), ("[2001:db8::1]", "443"))

    def test_missing_or_odd_hosts(self):
        self.assertEqual(split_host("", "http"), ("localhost", "80"))
        self.assertEqual(split_host("example.com:", "http"), ("example.com", "80"))
        self.assertEqual(split_host("example.com:x1", "http"), ("example.com", "80"))

    def test_the_listener_port_wins_over_the_host_port(self):
        self.assertEqual(split_host("example.com:8080", "http", 6767), ("example.com", "6767"))
        self.assertEqual(split_host("example.com", "https", 8443), ("example.com", "8443"))
        self.assertEqual(split_host("[::1]:1", "http", 9), ("[::1]", "9"))
        self.assertEqual(split_host("", "http", 9), ("localhost", "9"))

    def test_server_port_from_the_request_port_field(self):
        env = build(host="example.com:8080", headers=[["host", "example.com:8080"]], port=6767)
        self.assertEqual((env["SERVER_NAME"], env["SERVER_PORT"]), ("example.com", "6767"))

    def test_server_port_from_host_when_the_request_has_no_port(self):
        msg = request(host="example.com:8080", headers=[["host", "example.com:8080"]])
        msg.pop("port", None)  # a v1 frontend's request
        env = EnvironBuilder(False, False, io.StringIO()).build(msg)
        self.assertEqual((env["SERVER_NAME"], env["SERVER_PORT"]), ("example.com", "8080"))


class Targets(unittest.TestCase):
    def test_no_fragment_in_path_info_query_string_or_raw_uri(self):
        env = build(target="/a/b?x=1#frag", path="/a/b", query="x=1#frag")
        self.assertEqual((env["PATH_INFO"], env["QUERY_STRING"]), ("/a/b", "x=1"))
        self.assertEqual(env["RAW_URI"], "/a/b?x=1")
        env = build(target="/a#f?x=1", path="/a#f", query="x=1")
        self.assertEqual((env["PATH_INFO"], env["QUERY_STRING"]), ("/a", ""))
        self.assertEqual(env["REQUEST_URI"], "/a")
        env = build(target="/a%23b?c=%23", path="/a%23b", query="c=%23")
        self.assertEqual((env["PATH_INFO"], env["QUERY_STRING"]), ("/a#b", "c=%23"))

    def test_absolute_form_targets_use_the_path(self):
        env = build(target="http://h:9/abs/p?q=1", path="/abs/p", query="q=1")
        self.assertEqual((env["PATH_INFO"], env["QUERY_STRING"]), ("/abs/p", "q=1"))
        self.assertEqual(env["RAW_URI"], "http://h:9/abs/p?q=1")
        # A frontend that passes the absolute form through in `path`:
        env = build(target="http://h:9/abs/p?q=1", path="http://h:9/abs/p", query="q=1")
        self.assertEqual(env["PATH_INFO"], "/abs/p")
        env = build(target="http://h:9?q=1", path="http://h:9", query="q=1")
        self.assertEqual(env["PATH_INFO"], "/")
        self.assertEqual(split_target("*", ""), ("*", ""))


class Validator(unittest.TestCase):
    """wsgiref.validate checks the environ (and the app's use of it) on every call."""

    def test_environ_passes_wsgiref_validate(self):
        def app(environ, start_response):
            start_response("200 OK", [("Content-Type", "text/plain")])
            return [environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))]

        cases = [
            request(),
            request(method="POST", body=b"x" * 10, headers=[["content-length", "10"]]),
            request(path="/a%20b/%FF", route="/a%20b", query="q=1"),
            request(host="", headers=[], version="HTTP/1.0"),
            request(host="[::1]:6767", scheme="https"),
        ]
        for msg in cases:
            with self.subTest(msg["path"]):
                rec, _, _, log = call(wsgiref.validate.validator(app), msg)
                self.assertEqual(log.entries, [])
                self.assertEqual(rec.kinds[0], "head")
                last = rec.messages[-1]
                self.assertTrue(last["kind"] == "end" or last.get("end"))


if __name__ == "__main__":
    unittest.main()
