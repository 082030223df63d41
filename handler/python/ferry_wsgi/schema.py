"""The fields of every kind, in canonical order (protocol/schema.ts): one table drives both the
encoder and the validating decoder."""

from .fields import CHECKS


def _req(name, type_):
    return (name, type_, True)


def _opt(name, type_):
    return (name, type_, False)


_HELLO = (
    _req("hid", "hid"),
    _req("secret", "secret"),
    _req("capacity", "capacity"),
    _req("inflight", "uint"),
    _opt("interval", "interval"),
    _opt("batch", "batch"),
    _opt("agent", "str"),
)
_REPLY_TO = (_req("hid", "hid"), _req("to", "targets"))

#: Fields of kinds a handler receives (protocol/schema.ts ToHandlerSchema), canonical order:
#: (name, type, required), the same table as protocol/vectors/ferry-schema.json.
TO_HANDLER_FIELDS = {
    "request": (
        _req("fid", "hid"),
        _req("conn", "id"),
        _req("req", "id"),
        _req("token", "uint"),
        _req("method", "str"),
        _req("target", "str"),
        _req("path", "str"),
        _req("query", "str"),
        _req("version", "str"),
        _req("headers", "headers"),
        _req("remote", "str"),
        _req("rport", "uint"),
        _req("port", "uint"),
        _req("scheme", "scheme"),
        _req("host", "str"),
        _req("route", "str"),
        _req("group", "str"),
        _opt("body", "bin"),
        _opt("stream", "bool"),
        _opt("length", "uint"),
        _opt("window", "uint"),
        _opt("timeout", "uint"),
        _opt("attempt", "uint"),
        _opt("upgrade", "str"),
    ),
    "body": (
        _req("fid", "hid"),
        _req("conn", "id"),
        _req("req", "id"),
        _req("data", "bin"),
        _opt("end", "bool"),
    ),
    "ws": (
        _req("fid", "hid"),
        _req("conn", "id"),
        _req("req", "id"),
        _req("data", "bin"),
        _req("binary", "bool"),
    ),
    "disconnect": (
        _req("fid", "hid"),
        _req("conn", "id"),
        _opt("req", "id"),
        _opt("code", "uint"),
        _opt("reason", "str"),
    ),
    "credit": (_req("fid", "hid"), _req("conn", "id"), _req("req", "id"), _req("bytes", "uint")),
    "cancel": (_req("fid", "hid"), _req("conn", "id"), _req("req", "id"), _req("reason", "str")),
}

#: Fields of kinds a frontend receives (protocol/schema.ts ToFrontendSchema), canonical order.
TO_FRONTEND_FIELDS = {
    "hello": _HELLO,
    "heartbeat": _HELLO,
    "claim": (_req("hid", "hid"), _req("conn", "id"), _req("req", "id"), _req("token", "uint")),
    "head": _REPLY_TO
    + (
        _req("status", "status"),
        _opt("reason", "reason"),
        _req("headers", "headers"),
        _opt("body", "bin"),
        _opt("end", "bool"),
    ),
    "data": _REPLY_TO + (_req("data", "bin"), _opt("end", "bool")),
    "end": _REPLY_TO,
    "close": _REPLY_TO + (_opt("code", "uint"), _opt("reason", "str")),
    "ws": _REPLY_TO + (_req("data", "bin"), _req("binary", "bool")),
    "error": _REPLY_TO + (_req("code", "str"), _req("message", "str"), _opt("status", "status")),
    "goodbye": (_req("hid", "hid"), _req("secret", "secret"), _opt("inflight", "uint")),
    "credit": (
        _req("hid", "hid"),
        _req("conn", "id"),
        _req("req", "id"),
        _req("token", "uint"),
        _req("bytes", "uint"),
    ),
}


def _compile(table):
    return {kind: tuple((n, CHECKS[t], r) for n, t, r in fields) for kind, fields in table.items()}


TO_HANDLER = _compile(TO_HANDLER_FIELDS)
TO_FRONTEND = _compile(TO_FRONTEND_FIELDS)
