#!/usr/bin/env python3
"""The project's own Mongrel2 test handler (not Mongrel2's Python library, which Debian does not
package): written from Mongrel2's documented protocol (the manual's "Writing A Handler" chapter),
with python3-zmq and nothing of Ferry's. It runs behind a real Mongrel2 and, unchanged, behind
Ferry's mongrel2 mode. Like Mongrel2's library, it answers HEAD as GET, body included.

Requests (PULL):  UUID ID PATH HEADERS BODY   HEADERS = netstring JSON, or a tnetstring dict
Replies  (PUB):   UUID SIZE:ID ID ..., BODY   (raw HTTP; an empty BODY closes the connections)

Routes: GET /hello, POST /echo, GET /wait?tag=T (held open), GET /waiting (count held),
GET /broadcast (one reply message to every held connection), GET /close (response, then close),
GET /disconnected?tag=T (has Mongrel2 told us that T's connection went away?).
"""
import argparse
import json
import signal
import sys
from urllib.parse import parse_qs

import zmq


def parse_netstring(data, offset):
    colon = data.index(b":", offset)
    length = int(data[offset:colon])
    start = colon + 1
    end = start + length
    return data[start:end], data[end:end + 1], end + 1


def parse_tnetstring(data, offset=0):
    payload, tag, rest = parse_netstring(data, offset)
    if tag == b",":
        return payload, rest
    if tag == b"#":
        return int(payload), rest
    if tag == b"!":
        return payload == b"true", rest
    if tag == b"~":
        return None, rest
    if tag in (b"]", b"}"):
        items, i = [], 0
        while i < len(payload):
            item, i = parse_tnetstring(payload, i)
            items.append(item)
        if tag == b"]":
            return items, rest
        return {k.decode(): v for k, v in zip(items[0::2], items[1::2])}, rest
    raise ValueError("unsupported tnetstring tag %r" % tag)


def text(value):
    if isinstance(value, list):
        return [text(v) for v in value]
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else value


def parse_request(msg):
    sender, conn_id, path, rest = msg.split(b" ", 3)
    _, tag, _ = parse_netstring(rest, 0)
    if tag == b",":
        raw, _, after = parse_netstring(rest, 0)
        headers = json.loads(raw.decode("utf-8", "replace"), strict=False)  # Mongrel2 may leave tabs raw
    else:
        tdict, after = parse_tnetstring(rest, 0)
        headers = {k: text(v) for k, v in tdict.items()}
    body, _, _ = parse_netstring(rest, after)
    return sender, int(conn_id), path.decode(), headers, body


def http_response(body, status="200 OK", content_type="text/plain", extra=""):
    if isinstance(body, str):
        body = body.encode()
    head = "HTTP/1.1 %s\r\nContent-Type: %s\r\nContent-Length: %d\r\n%s\r\n" % (status, content_type, len(body), extra)
    return head.encode() + body


class Handler:
    def __init__(self, send_spec, recv_spec):
        ctx = zmq.Context()
        self.requests = ctx.socket(zmq.PULL)
        self.requests.connect(send_spec)
        self.replies = ctx.socket(zmq.PUB)
        self.replies.connect(recv_spec)
        self.waiting = {}  # conn id -> tag
        self.gone = set()  # tags whose connection Mongrel2 reported closed

    def reply(self, sender, conn_ids, body):
        ids = " ".join(str(i) for i in conn_ids).encode()
        self.replies.send(sender + b" " + str(len(ids)).encode() + b":" + ids + b", " + body)

    def handle(self, msg):
        sender, conn, path, headers, body = parse_request(msg)
        method = headers.get("METHOD")
        if method == "JSON" and path == "@*":
            notice = json.loads(body.decode())
            if notice.get("type") == "disconnect":
                tag = self.waiting.pop(conn, None)
                if tag is not None:
                    self.gone.add(tag)
            return
        query = parse_qs(headers.get("QUERY", ""))
        tag = query.get("tag", [""])[0]
        if path == "/hello":
            info = {
                "method": method,
                "path": headers.get("PATH"),
                "query": headers.get("QUERY"),
                "version": headers.get("VERSION"),
                "pattern": headers.get("PATTERN"),
                "forwarded": headers.get("x-forwarded-for"),
                "cookie": headers.get("cookie"),
                "host": headers.get("host"),
            }
            self.reply(sender, [conn], http_response(json.dumps(info), content_type="application/json"))
        elif path == "/echo" and method == "POST":
            self.reply(sender, [conn], http_response(body, content_type="application/octet-stream"))
        elif path == "/wait":
            self.waiting[conn] = tag
        elif path == "/waiting":
            self.reply(sender, [conn], http_response(str(len(self.waiting))))
        elif path == "/broadcast":
            held = sorted(self.waiting)
            if held:
                self.reply(sender, held, http_response("broadcast to %d" % len(held)))  # one message, many ids
                self.waiting.clear()
            self.reply(sender, [conn], http_response("sent to %d" % len(held)))
        elif path == "/close":
            self.reply(sender, [conn], b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\nbye")
            self.reply(sender, [conn], b"")  # an empty body closes the connection
        elif path == "/disconnected":
            self.reply(sender, [conn], http_response("yes" if tag in self.gone else "no"))
        else:
            self.reply(sender, [conn], http_response("not found", status="404 Not Found"))

    def run(self):
        print("ready", flush=True)
        while True:
            msg = self.requests.recv()
            try:
                self.handle(msg)
            except Exception as err:  # a bad message must not stop the handler
                print("bad message: %r (%s)" % (msg[:200], err), file=sys.stderr, flush=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--send-spec", required=True, help="Mongrel2's send_spec (we PULL from it)")
    parser.add_argument("--recv-spec", required=True, help="Mongrel2's recv_spec (we PUB to it)")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    Handler(args.send_spec, args.recv_spec).run()


if __name__ == "__main__":
    main()
