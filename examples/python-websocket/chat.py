"""WebSockets behind Ferry with ferry_wsgi: an echo socket and a chat room, next to a WSGI app.

    node bin/ferry.js frontend &
    PYTHONPATH=handler/python python3 -m ferry_wsgi chat:app --websocket chat:room --chdir examples/python-websocket

ws://127.0.0.1:6767/echo echoes each message; ws://127.0.0.1:6767/chat sends each message to
everyone in the room ("/quit" closes with 4000). POST /announce broadcasts its body from a WSGI
request. Sockets live in the worker that accepted them: run one worker (--threads for more
HTTP concurrency) so the room is one room.
"""

from ferry_wsgi import broadcast


class Room:
    def __init__(self):
        self.members = set()  # changed only by callbacks, which run one at a time

    def on_open(self, ws):
        if ws.path not in ("/echo", "/chat"):
            ws.refuse(404, "no such socket\n")
            return
        ws.accept(protocol="chat" if "chat" in ws.protocols else None)
        if ws.path == "/chat":
            self.members.add(ws)

    def on_message(self, ws, data):
        if ws.path == "/echo":
            ws.send(data)  # str comes back as text, bytes as binary
        elif data == "/quit":
            ws.close(4000, "bye")
        else:
            broadcast(self.members, data)  # one message to the frontend, whatever the room size

    def on_close(self, ws, code, reason):
        self.members.discard(ws)


room = Room()


def app(environ, start_response):
    if environ["PATH_INFO"] == "/announce" and environ["REQUEST_METHOD"] == "POST":
        text = environ["wsgi.input"].read().decode("utf-8", "replace")
        sent = broadcast(room.members, "announce: " + text)
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"sent to %d\n" % sent]
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"%d in the chat\n" % len(room.members)]
