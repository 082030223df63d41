"""Ferry protocol v1 in Python: one msgpack map per message, validated like protocol/codec.ts.

The field table mirrors protocol/schema.ts (same names, types, canonical order), and errors carry
the same stable codes as protocol/errors.ts, so both implementations pass protocol/vectors/.
"""

import msgpack

PROTOCOL_VERSION = 1
TOPIC_ALL = "*"

MAX_TARGETS = 100_000
MAX_HEADERS = 1_000
MAX_STRING = 65_536
MAX_BINARY = 64 * 1024 * 1024
MAX_ID = 128
MAX_SAFE_INTEGER = 2**53 - 1


class ProtocolError(Exception):
    """The only error the decoders raise. Match on `code`, never on the text."""

    DECODE = "ERR_DECODE"
    TRAILING_BYTES = "ERR_TRAILING_BYTES"
    NOT_MAP = "ERR_NOT_MAP"
    VERSION = "ERR_VERSION"
    UNKNOWN_KIND = "ERR_UNKNOWN_KIND"
    WRONG_DIRECTION = "ERR_WRONG_DIRECTION"
    MISSING_FIELD = "ERR_MISSING_FIELD"
    FIELD_TYPE = "ERR_FIELD_TYPE"
    LIMIT = "ERR_LIMIT"
    FRAMES = "ERR_FRAMES"

    def __init__(self, code, message, path=None):
        super().__init__(f"{path}: {message}" if path else message)
        self.code = code
        self.path = path


E = ProtocolError


def _fail(code, path, message):
    raise ProtocolError(code, message, path)


def _check_string(value, path, limit):
    if type(value) is not str:
        _fail(E.FIELD_TYPE, path, "expected a string")
    if value.isascii():
        if len(value) > limit:
            _fail(E.LIMIT, path, f"string longer than {limit} bytes")
        return value
    try:
        size = len(value.encode("utf-8"))
    except UnicodeEncodeError:
        _fail(E.FIELD_TYPE, path, "string has a lone surrogate")
    if size > limit:
        _fail(E.LIMIT, path, f"string longer than {limit} bytes")
    return value


def _check_uint(value, path):
    if type(value) is not int or value < 0 or value > MAX_SAFE_INTEGER:
        _fail(E.FIELD_TYPE, path, "expected a non-negative integer below 2^53")
    return value


def _check_str(value, path):
    return _check_string(value, path, MAX_STRING)


def _check_hid(value, path):
    value = _check_string(value, path, MAX_ID)
    # Ids are ZeroMQ topics: "*" is everyone's topic, never one peer's.
    if not value or "\0" in value or value == "*":
        _fail(E.FIELD_TYPE, path, 'expected a non-empty id, not "*"')
    return value


def _check_status(value, path):
    if type(value) is not int or value < 100 or value > 999:
        _fail(E.FIELD_TYPE, path, "expected an integer status 100..999")
    return value


def _check_bin(value, path):
    if type(value) is not bytes:
        if isinstance(value, (bytearray, memoryview)):
            value = bytes(value)
        else:
            _fail(E.FIELD_TYPE, path, "expected msgpack bin")
    if len(value) > MAX_BINARY:
        _fail(E.LIMIT, path, "binary field too large")
    return value


def _check_bool(value, path):
    if type(value) is not bool:
        _fail(E.FIELD_TYPE, path, "expected a boolean")
    return value


def _check_scheme(value, path):
    if type(value) is not str or (value != "http" and value != "https"):
        _fail(E.FIELD_TYPE, path, "expected http or https")
    return value


def _check_pairs(value, path, limit, check_item):
    if type(value) is not list and type(value) is not tuple:
        _fail(E.FIELD_TYPE, path, "expected an array")
    if len(value) > limit:
        _fail(E.LIMIT, path, f"more than {limit} entries")
    for i, pair in enumerate(value):
        if (type(pair) is not list and type(pair) is not tuple) or len(pair) != 2:
            _fail(E.FIELD_TYPE, f"{path}[{i}]", "expected a 2-element array")
        check_item(pair[0], f"{path}[{i}][0]")
        check_item(pair[1], f"{path}[{i}][1]")
    return value


def _check_headers(value, path):
    return _check_pairs(value, path, MAX_HEADERS, _check_str)


def _check_targets(value, path):
    value = _check_pairs(value, path, MAX_TARGETS, _check_uint)
    if not value:
        _fail(E.FIELD_TYPE, path, "expected at least one target")
    return value


CHECKS = {
    "str": _check_str,
    "hid": _check_hid,
    "id": _check_uint,
    "uint": _check_uint,
    "status": _check_status,
    "bin": _check_bin,
    "bool": _check_bool,
    "scheme": _check_scheme,
    "headers": _check_headers,
    "targets": _check_targets,
}


def _req(name, type_):
    return (name, type_, True)


def _opt(name, type_):
    return (name, type_, False)


_HELLO = (
    _req("hid", "hid"),
    _req("capacity", "uint"),
    _req("inflight", "uint"),
    _opt("interval", "uint"),
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
        _req("method", "str"),
        _req("target", "str"),
        _req("path", "str"),
        _req("query", "str"),
        _req("version", "str"),
        _req("headers", "headers"),
        _req("remote", "str"),
        _req("rport", "uint"),
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
    "claim": (_req("hid", "hid"), _req("conn", "id"), _req("req", "id")),
    "head": _REPLY_TO
    + (_req("status", "status"), _req("headers", "headers"), _opt("body", "bin"), _opt("end", "bool")),
    "data": _REPLY_TO + (_req("data", "bin"), _opt("end", "bool")),
    "end": _REPLY_TO,
    "close": _REPLY_TO + (_opt("code", "uint"), _opt("reason", "str")),
    "ws": _REPLY_TO + (_req("data", "bin"), _req("binary", "bool")),
    "error": _REPLY_TO + (_req("code", "str"), _req("message", "str"), _opt("status", "status")),
    "goodbye": (_req("hid", "hid"), _opt("inflight", "uint")),
    "credit": (_req("hid", "hid"), _req("conn", "id"), _req("req", "id"), _req("bytes", "uint")),
}


def _compile(table):
    return {kind: tuple((n, CHECKS[t], r) for n, t, r in fields) for kind, fields in table.items()}


TO_HANDLER = _compile(TO_HANDLER_FIELDS)
TO_FRONTEND = _compile(TO_FRONTEND_FIELDS)


MAX_DEPTH = 32


def _unknown_ext(code, data):
    raise ValueError(f"msgpack extension types are not used ({code})")


def _unpack(data):
    try:
        return msgpack.unpackb(data, raw=False, ext_hook=_unknown_ext)
    except msgpack.ExtraData:
        raise ProtocolError(E.TRAILING_BYTES, "bytes after the message") from None
    except msgpack.StackError:
        raise ProtocolError(E.LIMIT, f"nested deeper than {MAX_DEPTH}") from None
    except Exception as err:  # truncated, invalid UTF-8, 0xc1, int keys, impossible lengths ...
        raise ProtocolError(E.DECODE, f"not msgpack: {err}") from None


def _map_size(data):
    """Entries the top-level map header declares (fewer in the dict = duplicate keys)."""
    b = data[0]
    if 0x80 <= b <= 0x8F:
        return b & 0x0F
    if b == 0xDE:
        return int.from_bytes(data[1:3], "big")
    return int.from_bytes(data[1:5], "big")  # 0xdf: the only other map header


def _check_structure(value, depth):
    """What protocol/msgpack-check.ts refuses after msgpack itself accepted it: extension types
    (timestamps), non-str map keys, and nesting past MAX_DEPTH."""
    t = type(value)
    if t is list or t is dict:
        if depth >= MAX_DEPTH:
            raise ProtocolError(E.LIMIT, f"nested deeper than {MAX_DEPTH}")
        if t is dict:
            for key, item in value.items():
                if type(key) is not str:
                    raise ProtocolError(E.DECODE, "map keys must be msgpack str")
                _check_structure(item, depth + 1)
        else:
            for item in value:
                _check_structure(item, depth + 1)
    elif t is msgpack.Timestamp:
        raise ProtocolError(E.DECODE, "msgpack extension types are not used (timestamp)")


def _decode(own, other, data):
    value = _unpack(data)
    if type(value) is not dict:
        _check_structure(value, 0)
        raise ProtocolError(E.NOT_MAP, "message is not a map")
    if len(value) != _map_size(data):
        _check_structure(value, 0)
        raise ProtocolError(E.DECODE, "duplicate key")
    try:
        out = _validate(own, other, value)
    except ProtocolError:
        # Malformed msgpack anywhere wins over a field error, as in the TypeScript codec.
        _check_structure(value, 0)
        raise
    # Unknown fields are ignored, but they must still be well-formed msgpack. (A nil known field
    # also makes the counts differ: then the check runs for nothing, which is harmless.)
    if len(value) != len(out):
        _check_structure(value, 0)
    return out


#: A string of at most this many code points is within MAX_STRING bytes whatever it holds.
_SHORT = MAX_STRING // 4
_REQUEST_STRINGS = ("method", "target", "path", "query", "version", "remote", "host", "route", "group")
_REQUEST_UINTS = ("length", "window", "timeout", "attempt")


def _fast_request(value):
    """The common `request`, checked inline; None when anything is unusual (the table-driven
    check then finds the exact error, or accepts an unusual but valid message)."""
    get = value.get
    fid, conn, req, rport = get("fid"), get("conn"), get("req"), get("rport")
    if type(fid) is not str or not 0 < len(fid) <= MAX_ID // 4 or "\0" in fid or fid == "*":
        return None
    if type(conn) is not int or type(req) is not int or type(rport) is not int:
        return None
    if not (0 <= conn <= MAX_SAFE_INTEGER and 0 <= req <= MAX_SAFE_INTEGER and 0 <= rport <= MAX_SAFE_INTEGER):
        return None
    out = {"v": PROTOCOL_VERSION, "kind": "request", "fid": fid, "conn": conn, "req": req}
    for name in _REQUEST_STRINGS[:5]:
        text = get(name)
        if type(text) is not str or len(text) > _SHORT:
            return None
        out[name] = text
    headers = get("headers")
    if type(headers) is not list or len(headers) > MAX_HEADERS:
        return None
    for pair in headers:
        if type(pair) is not list or len(pair) != 2:
            return None
        name, text = pair
        if type(name) is not str or type(text) is not str or len(name) > _SHORT or len(text) > _SHORT:
            return None
    out["headers"] = headers
    remote = get("remote")
    if type(remote) is not str or len(remote) > _SHORT:
        return None
    out["remote"] = remote
    out["rport"] = rport
    scheme = get("scheme")
    if scheme != "http" and scheme != "https" or type(scheme) is not str:
        return None
    out["scheme"] = scheme
    for name in _REQUEST_STRINGS[6:]:
        text = get(name)
        if type(text) is not str or len(text) > _SHORT:
            return None
        out[name] = text
    body = get("body")
    if body is not None:
        if type(body) is not bytes or len(body) > MAX_BINARY:
            return None
        out["body"] = body
    stream = get("stream")
    if stream is not None:
        if type(stream) is not bool:
            return None
        out["stream"] = stream
    for name in _REQUEST_UINTS:
        n = get(name)
        if n is not None:
            if type(n) is not int or not 0 <= n <= MAX_SAFE_INTEGER:
                return None
            out[name] = n
    upgrade = get("upgrade")
    if upgrade is not None:
        if type(upgrade) is not str or len(upgrade) > _SHORT:
            return None
        out["upgrade"] = upgrade
    return out


def _validate(own, other, value):
    v = value.get("v")
    if type(v) is not int or v != PROTOCOL_VERSION:
        raise ProtocolError(E.VERSION, f"unsupported version {str(v)[:32]}", "v")
    kind = value.get("kind")
    if type(kind) is not str:
        raise ProtocolError(E.UNKNOWN_KIND, "kind missing", "kind")
    if kind == "request" and own is TO_HANDLER:
        out = _fast_request(value)
        if out is not None:
            return out
    fields = own.get(kind)
    if fields is None:
        if kind in other:
            raise ProtocolError(E.WRONG_DIRECTION, f"kind {kind} does not go this way", "kind")
        raise ProtocolError(E.UNKNOWN_KIND, f"unknown kind {kind[:64]}", "kind")
    out = {"v": PROTOCOL_VERSION, "kind": kind}
    get = value.get
    for name, check, required in fields:
        field = get(name)
        if field is None:  # nil means absent, for every field
            if required:
                raise ProtocolError(E.MISSING_FIELD, "required", name)
            continue
        out[name] = check(field, name)
    return out


def decode_to_handler(data):
    """Decode and validate a message a handler receives. Raises only ProtocolError."""
    return _decode(TO_HANDLER, TO_FRONTEND, data)


def decode_to_frontend(data):
    """Decode and validate a message a frontend receives. Raises only ProtocolError."""
    return _decode(TO_FRONTEND, TO_HANDLER, data)


def _encode(schema, msg):
    kind = msg.get("kind")
    fields = schema.get(kind) if type(kind) is str else None
    if fields is None:
        raise ProtocolError(E.UNKNOWN_KIND, f"cannot encode kind {kind!r}")
    out = {"v": PROTOCOL_VERSION, "kind": kind}
    for name, check, required in fields:
        value = msg.get(name)
        if value is None:
            if required:
                raise ProtocolError(E.MISSING_FIELD, "required", name)
            continue
        out[name] = check(value, name)
    return pack(out)


def encode_to_frontend(msg):
    """Encode (after validating) a message a handler sends. Fields go out in canonical order."""
    return _encode(TO_FRONTEND, msg)


def encode_to_handler(msg):
    """Encode (after validating) a message a frontend sends (used by tests that play one)."""
    return _encode(TO_HANDLER, msg)


def pack(value):
    """msgpack with bin for bytes and str for text, as every Ferry peer reads it."""
    return msgpack.packb(value, use_bin_type=True)
