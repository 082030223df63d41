"""PEP 3333 environ from a Ferry `request` message.

Strings in the environ are "native strings" holding bytes: every byte of the request is one code
point (latin-1). PATH_INFO and SCRIPT_NAME are percent-decoded, QUERY_STRING is not.
"""

import io
import sys
from urllib.parse import unquote_to_bytes

from .filewrapper import FileWrapper

#: Header names seen so far -> environ key (None: dropped). Bounded: a client can send any name.
_KEY_CACHE = {"content-type": "CONTENT_TYPE", "content-length": "CONTENT_LENGTH"}
_KEY_CACHE_MAX = 4096


def header_key(name):
    """`X-Forwarded-For` -> `HTTP_X_FORWARDED_FOR`; None for names with `_` (they would be
    indistinguishable from the `-` spelling, a known header-spoofing trick)."""
    key = _KEY_CACHE.get(name)
    if key is not None or name in _KEY_CACHE:
        return key
    lower = name.lower()
    if lower in _KEY_CACHE:
        key = _KEY_CACHE[lower]
    elif "_" in name:
        key = None
    else:
        key = "HTTP_" + name.upper().replace("-", "_")
    if len(_KEY_CACHE) < _KEY_CACHE_MAX:
        _KEY_CACHE[name] = key
    return key


def to_native(text):
    """A string from the wire as a PEP 3333 native string (latin-1 code points = bytes).

    Node hands the frontend header and target bytes as latin-1 strings, so they arrive with every
    code point below 256 and are used as they are; a string with wider code points was UTF-8 text,
    so its UTF-8 bytes are what the client sent.
    """
    if text.isascii():
        return text
    try:
        text.encode("latin-1")
        return text
    except UnicodeEncodeError:
        return text.encode("utf-8", "surrogatepass").decode("latin-1")


def decode_path(path):
    """Percent-decode a request path to a native string of its bytes."""
    if "%" not in path:
        return to_native(path)
    return unquote_to_bytes(to_native(path).encode("latin-1")).decode("latin-1")


def split_host(host, scheme, listener_port=None):
    """Host header -> (SERVER_NAME, SERVER_PORT). IPv6 literals keep their brackets (RFC 3875).

    SERVER_PORT is the port the request arrived on when the frontend says (`port`, the listener's
    local port), as a server reading its own socket reports it; else the Host's port, else the
    scheme's default."""
    default_port = "443" if scheme == "https" else "80"
    if listener_port is not None:
        default_port = str(listener_port)
    if not host:
        return "localhost", default_port
    if host[0] == "[":
        end = host.find("]")
        if end < 0:
            return host, default_port
        name, rest = host[: end + 1], host[end + 1 :]
        port = rest[1:] if rest[:1] == ":" else ""
    else:
        name, sep, port = host.rpartition(":")
        if not sep:
            return host, default_port
    if listener_port is not None or not port.isdigit() or not port.isascii():
        return name, default_port
    return name, port


def split_target(path, query):
    """(path, query) without a `#fragment` (a fragment is the client's own; a frontend that
    passes one through never reaches the app with it), and an absolute-form path
    (`http://h:9/p`) reduced to its path."""
    cut = path.find("#")
    if cut >= 0:
        path, query = path[:cut], ""  # a `?` after the `#` is part of the fragment
    else:
        cut = query.find("#")
        if cut >= 0:
            query = query[:cut]
    if path[:1] != "/" and "://" in path:
        rest = path.partition("://")[2]
        slash = rest.find("/")
        path = rest[slash:] if slash >= 0 else "/"
    return path, query


def split_route(path, route):
    """(SCRIPT_NAME, PATH_INFO), both decoded. The frontend matched the route prefix on the raw
    path on a segment boundary; that prefix becomes SCRIPT_NAME. The root route (`""` or `/`)
    leaves SCRIPT_NAME empty."""
    prefix = route.rstrip("/")
    n = len(prefix)
    if n and path.startswith(prefix) and (len(path) == n or path[n] == "/"):
        return decode_path(prefix), decode_path(path[n:])
    return "", decode_path(path)


class EnvironBuilder:
    """Builds one environ per request. The keys that never change are made once per worker."""

    def __init__(self, multithread, multiprocess, errors=None):
        self.base = {
            "wsgi.version": (1, 0),
            "wsgi.errors": errors if errors is not None else sys.stderr,
            "wsgi.multithread": bool(multithread),
            "wsgi.multiprocess": bool(multiprocess),
            "wsgi.run_once": False,
            "wsgi.file_wrapper": FileWrapper,
            # The body always ends where it should: apps may read to EOF without CONTENT_LENGTH.
            "wsgi.input_terminated": True,
        }

    def build(self, msg, body_input=None):
        """`msg` is a decoded `request`. `body_input` replaces the inline body (streamed bodies)."""
        env = self.base.copy()
        route = msg["route"]
        path, query = msg["path"], msg["query"]
        if "#" in path or "#" in query or path[:1] != "/":
            path, query = split_target(path, query)
        if route:
            script_name, path_info = split_route(path, route)
        else:
            script_name, path_info = "", decode_path(path)
        scheme = msg["scheme"]
        name, port = split_host(msg["host"], scheme, msg.get("port"))
        env["REQUEST_METHOD"] = msg["method"]
        env["SCRIPT_NAME"] = script_name
        env["PATH_INFO"] = path_info
        env["QUERY_STRING"] = to_native(query)
        env["SERVER_NAME"] = name
        env["SERVER_PORT"] = port
        env["SERVER_PROTOCOL"] = msg["version"]
        env["REMOTE_ADDR"] = msg["remote"]
        env["REMOTE_PORT"] = str(msg["rport"])
        target = msg["target"]
        if "#" in target:
            target = target[: target.find("#")]
        env["RAW_URI"] = env["REQUEST_URI"] = to_native(target)
        env["wsgi.url_scheme"] = scheme

        cache = _KEY_CACHE
        for name, value in msg["headers"]:
            key = cache.get(name)
            if key is None:
                key = header_key(name)
                if key is None:
                    continue
            if not value.isascii():
                value = to_native(value)
            if key in env:
                # Repeated headers are one comma-separated list; cookies are joined as RFC 6265
                # says a client sends them, so cookie parsers see every pair.
                env[key] += ("; " if key == "HTTP_COOKIE" else ", ") + value
            else:
                env[key] = value

        if body_input is None:
            body = msg.get("body") or b""
            if body and "CONTENT_LENGTH" not in env:
                env["CONTENT_LENGTH"] = str(len(body))  # a chunked upload, de-chunked
            body_input = io.BytesIO(body)
        elif "CONTENT_LENGTH" not in env and msg.get("length") is not None:
            env["CONTENT_LENGTH"] = str(msg["length"])
        env["wsgi.input"] = body_input

        env["ferry.fid"] = msg["fid"]
        env["ferry.conn"] = msg["conn"]
        env["ferry.req"] = msg["req"]
        env["ferry.route"] = route
        env["ferry.group"] = msg["group"]
        env["ferry.attempt"] = msg.get("attempt", 0)
        return env
