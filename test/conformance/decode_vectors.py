"""Decode every valid Ferry vector with Debian's python3-msgpack and compare it with its value.

Also re-encodes each canonical value and reports whether the bytes match. Prints one JSON
summary on stdout. Run: /usr/bin/python3 test/conformance/decode_vectors.py [protocol/vectors]
Only the standard library and msgpack (raw=False) are used: the format is language-neutral.
"""
import json
import os
import sys

import msgpack

MAX_SAFE = 2**53 - 1


class Invalid(Exception):
    pass


def no_dup_keys(pairs):
    # Duplicate keys are invalid in v2 (msgpack's own dict building would keep the last).
    out = {}
    for key, value in pairs:
        if key in out:
            raise Invalid("duplicate key %r" % (key,))
        out[key] = value
    return out


def refuse_ext(code, data):
    raise Invalid("extension type %d" % code)


# Integer fields with a narrower range than 0 .. 2^53-1 (ERR_LIMIT outside it).
RANGES = {"interval": (100, 60000), "capacity": (1, 65536), "batch": (1, 1024)}


def check(ftype, value):
    if ftype in ("str", "hid", "scheme"):
        ok = isinstance(value, str)
    elif ftype == "reason":
        ok = isinstance(value, str) and len(value.encode("utf-8")) <= 512
    elif ftype in ("id", "uint", "status"):
        ok = isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_SAFE
    elif ftype in RANGES:
        low, high = RANGES[ftype]
        ok = isinstance(value, int) and not isinstance(value, bool) and low <= value <= high
    elif ftype == "bin":
        ok = isinstance(value, bytes)
    elif ftype == "secret":
        ok = isinstance(value, bytes) and 16 <= len(value) <= 64
    elif ftype == "bool":
        ok = isinstance(value, bool)
    elif ftype == "headers":
        ok = isinstance(value, list) and all(isinstance(p, list) and len(p) == 2 for p in value)
        if ok:
            for pair in value:
                check("str", pair[0])
                check("str", pair[1])
    elif ftype == "targets":
        # [conn, req, token] triples
        ok = isinstance(value, list) and len(value) > 0
        ok = ok and all(isinstance(t, list) and len(t) == 3 for t in value)
        if ok:
            for target in value:
                for item in target:
                    check("id", item)
    else:
        raise Invalid("unknown field type %s" % ftype)
    if not ok:
        raise Invalid("bad %s: %r" % (ftype, value))


def decode(schema, payload):
    """The v2 decoding rules, enough to compare with vector values."""
    msg = msgpack.unpackb(
        payload, raw=False, strict_map_key=True, object_pairs_hook=no_dup_keys, ext_hook=refuse_ext
    )
    if not isinstance(msg, dict) or msg.get("v") != 2 or isinstance(msg.get("v"), (bool, float)):
        raise Invalid("not a v2 message")
    fields = schema.get(msg.get("kind"))
    if fields is None:
        raise Invalid("unknown kind")
    out = {"v": 2, "kind": msg["kind"]}
    for field in fields:
        value = msg.get(field["name"])
        if value is None:  # nil means absent
            if field["required"]:
                raise Invalid("missing " + field["name"])
            continue
        check(field["type"], value)
        out[field["name"]] = value
    return out


def to_json(value):
    if isinstance(value, bytes):
        return {"$bin": value.hex()}
    if isinstance(value, list):
        return [to_json(v) for v in value]
    if isinstance(value, dict):
        return {k: to_json(v) for k, v in value.items()}
    return value


def from_json(value):
    if isinstance(value, list):
        return [from_json(v) for v in value]
    if isinstance(value, dict):
        if list(value.keys()) == ["$bin"]:
            return bytes.fromhex(value["$bin"])
        return {k: from_json(v) for k, v in value.items()}
    return value


def main():
    folder = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "../../protocol/vectors")
    with open(os.path.join(folder, "ferry-schema.json"), encoding="utf-8") as f:
        schemas = json.load(f)
    with open(os.path.join(folder, "ferry-valid.json"), encoding="utf-8") as f:
        vectors = json.load(f)
    results = []
    for vector in vectors:
        result = {"name": vector["name"], "decoded": False, "encoded": None}
        payload = bytes.fromhex(vector["hex"])
        try:
            got = to_json(decode(schemas[vector["direction"]], payload))
            # Dumping both compares order, types (true is not 1) and values exactly.
            result["decoded"] = json.dumps(got) == json.dumps(vector["value"])
            if not result["decoded"]:
                result["got"] = json.dumps(got)[:200]
        except Exception as err:  # report every failure, whatever raised it
            result["error"] = "%s: %s" % (type(err).__name__, err)
        if vector.get("canonical", True):
            packed = msgpack.packb(from_json(vector["value"]), use_bin_type=True)
            result["encoded"] = packed == payload
        results.append(result)
    summary = {
        "msgpack": ".".join(map(str, msgpack.version)),
        "vectors": len(results),
        "decoded": sum(1 for r in results if r["decoded"]),
        "canonical": sum(1 for r in results if r["encoded"] is not None),
        "encoded": sum(1 for r in results if r["encoded"]),
        "failures": [r for r in results if not r["decoded"] or r["encoded"] is False],
    }
    json.dump(summary, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
