"""A minimal Mongrel2 handler in Python (python3-zmq), written from Mongrel2's documented protocol
for reference figures. It serves the bench routes (see bench/apps/node-hello.mjs):
/ hello, /io (20 ms, blocking, like a sync worker), /poll held, /count, /broadcast.

Usage: python3 m2_handler.py SEND_SPEC RECV_SPEC
"""
import sys
import time

import zmq

HELLO = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 13\r\n\r\nHello, World!"
MAX_IDS = 128  # Mongrel2 accepts at most 128 connection ids per reply


def netstring(data):
    size, _, rest = data.partition(b":")
    n = int(size)
    return rest[:n], rest[n + 1 :]


def http(body):
    head = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n\r\n" % len(body)
    return head + body


def main():
    ctx = zmq.Context()
    pull = ctx.socket(zmq.PULL)
    pull.connect(sys.argv[1])
    pub = ctx.socket(zmq.PUB)
    pub.connect(sys.argv[2])
    held = {}  # sender uuid -> [conn ids]
    print("handler ready", flush=True)
    while True:
        msg = pull.recv()
        sender, conn, path, rest = msg.split(b" ", 3)
        headers, rest = netstring(rest)
        if path == b"@*":  # JSON message (disconnect): the connection is gone
            ids = held.get(sender)
            if ids and conn in ids:
                ids.remove(conn)
            continue
        if path == b"/io":
            time.sleep(0.02)
            body = HELLO
        elif path == b"/poll":
            held.setdefault(sender, []).append(conn)
            continue
        elif path == b"/count":
            body = http(str(sum(len(v) for v in held.values())).encode())
        elif path == b"/broadcast":
            n = 0
            for uuid, ids in held.items():
                for i in range(0, len(ids), MAX_IDS):
                    chunk = b" ".join(ids[i : i + MAX_IDS])
                    pub.send(b"%s %d:%s, %s" % (uuid, len(chunk), chunk, http(b"broadcast")))
                n += len(ids)
            held.clear()
            body = http(str(n).encode())
        else:
            body = HELLO
        pub.send(b"%s %d:%s, %s" % (sender, len(conn), conn, body))


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        pass
