"""ferry_wsgi: run WSGI apps (PEP 3333) as Ferry handlers.

    python3 -m ferry_wsgi myapp:app --workers 2

or, in-process (one worker, no master):

    from ferry_wsgi import serve
    serve(app, connect="tcp://127.0.0.1:9997,tcp://127.0.0.1:9996,tcp://127.0.0.1:9998")
"""

from .filewrapper import FileWrapper
from .websocket import WebSocket, broadcast

__version__ = "0.1.0"
__all__ = ["FileWrapper", "WebSocket", "broadcast", "serve", "__version__"]


def serve(app, connect=None, threads=1, heartbeat_ms=1000, claim_after_ms=10, websocket=None, prefetch=0):
    """Serve `app` in this process until SIGTERM/SIGINT; returns 0 once drained. `websocket`:
    an object (or module) with the WebSocket callbacks (docs/python.md, "WebSockets")."""
    from .config import default_endpoints, parse_frontends
    from .worker import Worker

    frontends = parse_frontends(connect) if connect else [default_endpoints()]
    worker = Worker(
        app,
        frontends,
        threads=threads,
        prefetch=prefetch,
        heartbeat_ms=heartbeat_ms,
        claim_after_ms=claim_after_ms,
        websocket=websocket,
    )
    worker.install_signals()
    return worker.run()
