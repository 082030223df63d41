"""Limits, ProtocolError and the validation of one field (protocol/fields.ts, limits.ts,
errors.ts)."""

PROTOCOL_VERSION = 2
TOPIC_ALL = "*"

#: Payloads in one ZeroMQ message (frames on PUSH/PULL, frames after the topic on PUB/SUB).
MAX_PAYLOADS = 1_024
MAX_TARGETS = 100_000
MAX_HEADERS = 1_000
MAX_STRING = 65_536
MAX_BINARY = 64 * 1024 * 1024
MAX_ID = 128
MAX_SAFE_INTEGER = 2**53 - 1
MIN_SECRET = 16
MAX_SECRET = 64
MAX_REASON = 512
MIN_INTERVAL = 100
MAX_INTERVAL = 60_000
MAX_CAPACITY = 65_536
MAX_BATCH = 1_024
#: Largest message a receiving socket takes (ZMQ_MAXMSGSIZE): a whole bin field plus room for
#: everything else in the message.
MAX_MESSAGE_BYTES = MAX_BINARY + 1024 * 1024


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

    def __init__(self, code, message, path=None, version=None, peer=None):
        super().__init__(f"{path}: {message}" if path else message)
        self.code = code
        self.path = path
        #: ERR_VERSION only: the `v` the message had, and the sender's id (fid or hid) if it had
        #: one, so a receiver can say which peer speaks an older protocol.
        self.version = version
        self.peer = peer


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
    """`[conn, req, token]` triples, 1 .. MAX_TARGETS."""
    if type(value) is not list and type(value) is not tuple:
        _fail(E.FIELD_TYPE, path, "expected an array")
    if len(value) > MAX_TARGETS:
        _fail(E.LIMIT, path, f"more than {MAX_TARGETS} entries")
    if not value:
        _fail(E.FIELD_TYPE, path, "expected at least one target")
    for i, target in enumerate(value):
        if (type(target) is not list and type(target) is not tuple) or len(target) != 3:
            _fail(E.FIELD_TYPE, f"{path}[{i}]", "expected a [conn, req, token] array")
        for j in range(3):
            n = target[j]
            if type(n) is not int or n < 0 or n > MAX_SAFE_INTEGER:
                _check_uint(n, f"{path}[{i}][{j}]")
    return value


def _check_range(value, path, low, high):
    _check_uint(value, path)
    if value < low or value > high:
        _fail(E.LIMIT, path, f"expected {low}..{high}")
    return value


def _check_secret(value, path):
    value = _check_bin(value, path)
    if not MIN_SECRET <= len(value) <= MAX_SECRET:
        _fail(E.LIMIT, path, f"expected {MIN_SECRET}..{MAX_SECRET} bytes")
    return value


def _check_reason(value, path):
    return _check_string(value, path, MAX_REASON)


def _check_capacity(value, path):
    return _check_range(value, path, 1, MAX_CAPACITY)


def _check_interval(value, path):
    return _check_range(value, path, MIN_INTERVAL, MAX_INTERVAL)


def _check_batch(value, path):
    return _check_range(value, path, 1, MAX_BATCH)


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
    "secret": _check_secret,
    "reason": _check_reason,
    "capacity": _check_capacity,
    "interval": _check_interval,
    "batch": _check_batch,
}
