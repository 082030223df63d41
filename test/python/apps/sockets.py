"""WebSocket callbacks the CLI tests load with --websocket: the module's own functions, an
object, and a factory."""


def on_message(ws, data):
    ws.send(data)


class Echo:
    def on_message(self, ws, data):
        ws.send(data)


echo = Echo()
no_callbacks = object()
