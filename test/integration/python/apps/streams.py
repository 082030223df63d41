"""WSGI app for the streaming tests: hashes `wsgi.input` in pieces as it arrives and generates
downloads on demand, counting what it produced so the test can see flow control at work."""

import hashlib
import json
import threading

_lock = threading.Lock()
_stats = {"produced": 0}


def _json(start_response, obj):
    body = json.dumps(obj).encode()
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]


def _hash(environ, start_response):
    stream = environ["wsgi.input"]
    digest = hashlib.sha256()
    total = 0
    while True:
        piece = stream.read(65536)
        if not piece:
            break
        digest.update(piece)
        total += len(piece)
    return _json(start_response, {"bytes": total, "sha256": digest.hexdigest()})


def _download(environ, start_response):
    total = int(environ.get("QUERY_STRING", "bytes=0").split("=", 1)[1])
    start_response("200 OK", [("Content-Type", "application/octet-stream")])

    def body():
        offset = 0
        while offset < total:
            n = min(65536, total - offset)
            piece = bytes(((offset + i) * 7) & 255 for i in range(256)) * (n // 256)
            piece += bytes(((offset + len(piece) + i) * 7) & 255 for i in range(n - len(piece)))
            offset += n
            with _lock:
                _stats["produced"] += n
            yield piece

    return body()


def app(environ, start_response):
    path = environ["PATH_INFO"]
    if path == "/hash":
        return _hash(environ, start_response)
    if path == "/download":
        return _download(environ, start_response)
    if path == "/stats":
        with _lock:
            return _json(start_response, dict(_stats))
    start_response("404 Not Found", [("Content-Type", "text/plain")])
    return [b"not found\n"]
