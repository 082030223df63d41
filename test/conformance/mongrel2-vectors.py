#!/usr/bin/env python3
"""Decode every Mongrel2 vector with plain Python (json + a few lines of tnetstring), sharing no
code with Ferry, and compare with its value; check every invalid vector fails. Proof that the
vectors, and the format, are language-neutral. Prints one line per failure; exit 1 if any."""
import json
import re
import sys

ROOT = sys.argv[1]


def as_json_bytes(b):
    try:
        return b.decode("utf-8")
    except UnicodeDecodeError:
        return {"$bin": b.hex()}


def netstring(b, i):
    c = b.index(b":", i)
    digits = b[i:c]
    if not digits.isdigit() or (len(digits) > 1 and digits[:1] == b"0"):
        raise ValueError("bad length")
    n = int(digits)
    s = c + 1
    if s + n >= len(b):
        raise ValueError("truncated")
    return b[s:s + n], b[s + n:s + n + 1], s + n + 1


def tnet(b, i=0, depth=0):
    p, tag, nxt = netstring(b, i)
    if tag == b",":
        return as_json_bytes(p), nxt
    if tag == b"#":
        v = int(p)
        if abs(v) > 2**53 - 1:
            raise ValueError("inexact")
        return v, nxt
    if tag == b"^":
        if not re.fullmatch(rb"-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?", p):
            raise ValueError("float")
        return float(p), nxt
    if tag == b"!":
        if p not in (b"true", b"false"):
            raise ValueError("bool")
        return p == b"true", nxt
    if tag == b"~":
        if p:
            raise ValueError("null")
        return None, nxt
    if tag in (b"]", b"}"):
        if depth >= 32:  # at most 32 nested lists/dicts, the outermost counting as one
            raise ValueError("too deep")
        items, j = [], 0
        while j < len(p):
            x, j = tnet(p, j, depth + 1)
            items.append(x)
        if tag == b"]":
            return items, nxt
        keys = items[0::2]
        if len(items) % 2 or len(set(map(str, keys))) != len(keys) or not all(isinstance(k, str) for k in keys):
            raise ValueError("dict")
        return dict(zip(keys, items[1::2])), nxt
    raise ValueError("tag")


def whole(fn, b):
    v, nxt = fn(b)
    if nxt != len(b):
        raise ValueError("trailing")
    return v


def request(b):
    uuid, cid, path, rest = b.split(b" ", 3)
    off = len(b) - len(rest)
    hdr, tag, nxt = netstring(b, off)
    if tag == b",":
        if not hdr.lstrip().startswith(b"{"):
            raise ValueError("not an object")
        pairs = json.loads(hdr.decode("utf-8", "replace"), strict=False, object_pairs_hook=lambda p: p)
        if not isinstance(pairs, list):
            raise ValueError("not an object")
        fmt = "json"
    elif tag == b"}":
        d, _ = tnet(b, off)
        pairs, fmt = list(d.items()), "tnetstring"
    else:
        raise ValueError("headers")
    names = [k for k, _ in pairs]
    for _, v in pairs:
        ok = isinstance(v, str) or (isinstance(v, list) and v and all(isinstance(x, str) for x in v))
        if not ok or len(set(names)) != len(names):
            raise ValueError("header value")
    body, tag, end = netstring(b, nxt)
    if tag != b"," or end != len(b):
        raise ValueError("body")
    return {"uuid": uuid.decode(), "id": int(cid), "path": path.decode(), "format": fmt,
            "headers": [[k, v] for k, v in pairs], "body": as_json_bytes(body)}


def reply(b):
    uuid, rest = b.split(b" ", 1)
    if not uuid or not all(chr(c).isalnum() or c == 0x2D for c in uuid):
        raise ValueError("uuid")
    c = rest.index(b":")
    n = int(rest[:c])
    ids = rest[c + 1:c + 1 + n].decode()
    if rest[c + 1 + n:c + 3 + n] != b", ":
        raise ValueError("ids")
    body = rest[c + 3 + n:]
    out = {"uuid": uuid.decode()}
    ext = ids.startswith("X ")
    if ext:
        ids = ids[2:]
    if ids.endswith(" "):
        ids = ids[:-1]
    parts = ids.split(" ")
    if not all(p.isdigit() for p in parts) or not 1 <= len(parts) <= 128:
        raise ValueError("ids")
    out["ids"] = [int(p) for p in parts]
    out["body"] = as_json_bytes(body)
    if ext:
        t = whole(tnet, body)
        if not isinstance(t, list) or len(t) != 2 or not isinstance(t[0], str):
            raise ValueError("extended")
        out["extended"] = {"name": t[0], "args": t[1]}
    return out


def plain_netstring(b):
    p, tag, nxt = netstring(b, 0)
    if tag != b",":
        raise ValueError("terminator")
    return p, nxt


DECODE = {
    "netstring": lambda b: as_json_bytes(whole(plain_netstring, b)),
    "tnetstring": lambda b: whole(tnet, b),
    "request": request,
    "reply": reply,
}

failures = 0
for v in json.load(open(ROOT + "/protocol/vectors/mongrel2-valid.json")):
    got = DECODE[v["codec"]](bytes.fromhex(v["hex"]))
    if got != v["value"]:
        failures += 1
        print("valid vector differs: %s" % v["name"])
for v in json.load(open(ROOT + "/protocol/vectors/mongrel2-invalid.json")):
    try:
        DECODE[v["codec"]](bytes.fromhex(v["hex"]))
        failures += 1
        print("invalid vector accepted: %s" % v["name"])
    except (ValueError, IndexError, UnicodeDecodeError, json.JSONDecodeError):
        pass
print("checked", flush=True)
sys.exit(1 if failures else 0)
