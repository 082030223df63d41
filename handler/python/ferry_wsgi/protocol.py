"""Ferry protocol v2 in Python: one msgpack map per message, validated like protocol/codec.ts.

The field table (schema.py) mirrors protocol/schema.ts, and errors carry the same stable codes
as protocol/errors.ts, so both implementations pass protocol/vectors/.
"""

import msgpack

from .fields import (
    MAX_BINARY,
    MAX_HEADERS,
    MAX_ID,
    MAX_MESSAGE_BYTES,
    MAX_PAYLOADS,
    MAX_SAFE_INTEGER,
    MAX_STRING,
    PROTOCOL_VERSION,
    ProtocolError,
)
from .schema import TO_FRONTEND, TO_FRONTEND_FIELDS, TO_HANDLER, TO_HANDLER_FIELDS

__all__ = [
    "MAX_MESSAGE_BYTES",
    "MAX_PAYLOADS",
    "ProtocolError",
    "PROTOCOL_VERSION",
    "TO_FRONTEND_FIELDS",
    "TO_HANDLER_FIELDS",
    "decode_to_frontend",
    "decode_to_handler",
    "encode_to_frontend",
    "encode_to_handler",
    "pack",
    "payloads",
]

E = ProtocolError

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
    fid, conn, req, token = get("fid"), get("conn"), get("req"), get("token")
    rport, port = get("rport"), get("port")
    if type(fid) is not str or not 0 < len(fid) <= MAX_ID // 4 or "\0" in fid or fid == "*":
        return None
    for n in (conn, req, token, rport, port):
        if type(n) is not int or not 0 <= n <= MAX_SAFE_INTEGER:
            return None
    out = {"v": PROTOCOL_VERSION, "kind": "request", "fid": fid, "conn": conn, "req": req, "token": token}
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
    out["port"] = port
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


def _peer_of(value, v):
    """(version, sender id) of a message of another version, so a receiver can name the peer
    to upgrade; (None, None) unless `v` is an integer."""
    if type(v) is not int:
        return None, None
    peer = value.get("hid", value.get("fid"))
    return v, peer[:128] if type(peer) is str else None


def _validate(own, other, value):
    v = value.get("v")
    if type(v) is not int or v != PROTOCOL_VERSION:
        shown = "none" if v is None else str(v)[:32]
        raise ProtocolError(E.VERSION, f"unsupported version {shown}", "v", *_peer_of(value, v))
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


def payloads(frames, topic):
    """The payload frames of one ZeroMQ message: every frame on PUSH/PULL (topic=False), every
    frame after the topic on PUB/SUB (topic=True). Raises ProtocolError ERR_FRAMES when there is
    none or more than MAX_PAYLOADS (the whole message is then dropped)."""
    count = len(frames) - 1 if topic else len(frames)
    if count < 1:
        raise ProtocolError(E.FRAMES, "no payload frame")
    if count > MAX_PAYLOADS:
        raise ProtocolError(E.FRAMES, f"{count} payloads in one message, at most {MAX_PAYLOADS}")
    return frames[1:] if topic else frames


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
