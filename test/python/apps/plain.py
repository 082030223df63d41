"""Small WSGI apps the CLI and integration tests serve."""

import os
import time


def app(environ, start_response):
    """Echo of what the handler saw, as text: method, path, query, pid, body length."""
    body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
    text = "%s %s?%s pid=%d body=%d\n" % (
        environ["REQUEST_METHOD"],
        environ["PATH_INFO"],
        environ["QUERY_STRING"],
        os.getpid(),
        len(body),
    )
    if environ["PATH_INFO"] == "/sleep":
        time.sleep(float(environ["QUERY_STRING"] or "0.5"))
    data = text.encode("latin-1")
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(data)))])
    return [data]


def create_app():
    return app


not_callable = 42
