"""One worker process: a handler (one handler id) running the app on M threads.

With one thread the app runs on the main thread, right where the request is received: no
hand-off, no queue. With M threads the main thread takes a request only when a thread is free,
so a busy worker leaves requests to the others. With `prefetch` P the worker declares M + P:
the frontend hands it that many, and the P extra wait in its socket until a thread is free.
"""

import os
import queue
import signal
import socket
import sys
import threading
import time
import uuid

import zmq

from .body import StreamedInput
from .control import Control
from .environ import EnvironBuilder
from .exchange import Exchange
from .fields import MAX_BATCH, MAX_CAPACITY
from .protocol import ProtocolError, decode_to_handler, payloads
from .replies import ReplyChannel
from .response import app_name, print_error, run_app
from .transport import REQUEST_HWM, ZmqTransport
from .version_warnings import VersionWarnings
from .websocket import WebSocketHub

#: Seconds a worker waits for its threads to finish claimed work when draining.
DRAIN_TIMEOUT = 30.0
#: How often (ms) an idle single-thread worker checks whether it was asked to drain.
IDLE_CHECK_MS = 100
#: Seconds a draining worker keeps taking requests that already reached it before disconnecting.
LATE_REQUESTS_WINDOW = 1.0


def new_handler_id():
    return f"{socket.gethostname()[:60]}-{os.getpid()}-{uuid.uuid4().hex[:8]}"


class Worker:
    def __init__(
        self,
        app,
        frontends,
        threads=1,
        prefetch=0,
        multiprocess=False,
        heartbeat_ms=1000,
        claim_after_ms=10,
        hid=None,
        on_ready=None,
        label="",
        stderr=None,
        drain_timeout=DRAIN_TIMEOUT,
        websocket=None,
    ):
        self.app = app
        self.app_name = app_name(app)
        self.frontends = list(frontends)
        self.threads = max(1, int(threads))
        #: Requests the frontends may hand this worker at once (hello's `capacity`): one per
        #: thread, plus `prefetch` that wait for a free thread, so that one is there as soon as a
        #: thread is done instead of a round trip to the frontend later.
        self.capacity = min(self.threads + max(0, int(prefetch)), MAX_CAPACITY)
        #: Requests this worker takes from one PUSH message (declared in hello): as many as it
        #: may hold, one per thread and the prefetched ones, so that a frontend with several
        #: waiting hands them over in one message (one wake-up here, not one per request).
        self.batch = min(self.capacity, MAX_BATCH)
        self.heartbeat_ms = int(heartbeat_ms)
        self.claim_after = claim_after_ms / 1000.0
        self.hid = hid or new_handler_id()
        self.on_ready = on_ready
        self.label = label
        self.stderr = stderr or sys.stderr
        self.drain_timeout = drain_timeout
        self.transport = ZmqTransport(self.frontends, self.hid, receive_hwm=max(REQUEST_HWM, self.capacity))
        self.channel = ReplyChannel(self.hid, self.transport.publish, publish_many=self.transport.publish_many)
        self.environ = EnvironBuilder(self.threads > 1, multiprocess, self.stderr)
        self.inflight = {}  # (fid, conn, req) -> Exchange
        self.taken = 0  # requests taken so far
        self.draining = False
        self.malformed_sources = set()
        self.malformed_count = 0  # payloads and messages dropped as malformed
        self.version_warnings = VersionWarnings(self.log)
        #: The WebSocket callbacks' hub (websocket.py), when the app has any.
        self.websockets = None
        if websocket is not None:
            self.websockets = WebSocketHub(websocket, self.channel, self.inflight, self.log_error)
        self.control = Control(self)
        self._wake_r, self._wake_w = os.pipe()
        os.set_blocking(self._wake_w, False)

    # ------------------------------------------------------------ logging

    def log(self, text):
        try:
            self.stderr.write(f"ferry-wsgi[{os.getpid()}]: {text}\n")
            self.stderr.flush()
        except Exception:
            pass

    def log_error(self, text, exc_info=None):
        print_error(text, exc_info, self.stderr)

    def malformed(self, source, reason):
        self.malformed_count += 1
        if source not in self.malformed_sources:  # logged once per source
            self.malformed_sources.add(source)
            self.log(f"dropped a malformed message on {source}: {reason}")

    def rejected(self, source, err):
        """A payload the decoder refused (dropped). One from a frontend of another protocol
        version gets its own warning, naming the frontend."""
        if err.code == ProtocolError.VERSION and err.version is not None:
            self.malformed_count += 1
            self.version_warnings.saw(err.peer, err.version)
            return
        self.malformed(source, f"{err.code}: {err}")

    def on_peers(self, fids):
        pass

    # ------------------------------------------------------------ lifecycle

    def drain(self, *_):
        """Signal handler (SIGTERM/SIGINT): stop taking requests, finish, exit."""
        self.draining = True
        try:
            os.write(self._wake_w, b"x")
        except OSError:
            pass

    def install_signals(self):
        signal.signal(signal.SIGTERM, self.drain)
        signal.signal(signal.SIGINT, self.drain)
        signal.signal(signal.SIGHUP, signal.SIG_IGN)  # the master reloads workers

    def run(self):
        """Serve until drained. Returns the exit code (0)."""
        t = self.transport
        t.connect_replies_and_events()
        self.control.start()
        while not self.draining and not self.control.first_peer.wait(0.05):
            pass
        if not self.draining:
            t.connect_requests()
            where = " ".join(repr(f) for f in self.frontends)
            self.log(f"ready{self.label}: hid {self.hid}, {self.threads} thread(s), connected to {where}")
            if self.on_ready:
                self.on_ready(self)
            try:
                if self.threads == 1:
                    self.serve_inline()
                else:
                    self.serve_threaded()
            finally:
                self.finish()
        else:
            self.finish()
        return 0

    def finish(self):
        self.transport.stop_requests()
        if self.websockets is not None:
            self.websockets.stop()  # while the control thread still delivers the disconnects
        self.channel.goodbye(len(self.inflight))
        self.control.stop()
        self.control.join(2)
        self.control.close()
        self.transport.close()
        os.close(self._wake_r)
        os.close(self._wake_w)

    # ------------------------------------------------------------ receiving

    def _wait(self, poller):
        for sock, _ in poller.poll():
            if sock == self._wake_r:
                try:
                    os.read(self._wake_r, 512)
                except BlockingIOError:
                    pass

    def _poller(self):
        poller = zmq.Poller()
        poller.register(self.transport.pull, zmq.POLLIN)
        poller.register(self._wake_r, zmq.POLLIN)
        return poller

    def _stop_taking(self, take):
        """Drain: say goodbye, take what already reached this worker, then disconnect (requests
        still queued toward a disconnected PULL are dropped by ZeroMQ; the frontend re-sends the
        idempotent ones when this handler goes silent).

        Up to `capacity` requests are always taken, however long they run: the frontend hands a
        worker no more than that, so with `prefetch` they are the ones waiting here for a thread.
        Past them, what arrives meanwhile is taken for LATE_REQUESTS_WINDOW."""
        self.channel.goodbye(len(self.inflight))
        receive = self.transport.receive_request
        deadline = time.monotonic() + LATE_REQUESTS_WINDOW
        taken = 0
        while (taken < self.capacity or time.monotonic() < deadline) and (frames := receive(False)) is not None:
            take(frames)
            taken += len(frames)
        self.transport.stop_requests()

    def serve_inline(self):
        # A blocking receive with a timeout is the cheapest wait (no poller, no exception per
        # request); the timeout bounds how long a drain signal waits to be noticed.
        self.transport.pull.setsockopt(zmq.RCVTIMEO, IDLE_CHECK_MS)
        receive = self.transport.receive_request
        handle = self.handle
        while not self.draining:
            try:
                frames = receive(True)
            except zmq.Again:
                continue
            handle(frames)
        self._stop_taking(handle)

    def serve_threaded(self):
        slots = threading.Semaphore(self.threads)
        work = queue.SimpleQueue()
        pool = [
            threading.Thread(target=self._thread_loop, args=(work, slots), name=f"ferry-app-{i}", daemon=True)
            for i in range(self.threads)
        ]
        for thread in pool:
            thread.start()
        receive = self.transport.receive_request
        poller = self._poller()
        while not self.draining:
            if not slots.acquire(timeout=0.2):
                continue
            frames = None
            while not self.draining:
                frames = receive(False)
                if frames is not None:
                    break
                self._wait(poller)
            if frames is None:
                slots.release()
                break
            # A message may hold several requests (up to `batch`, one per thread): each takes a
            # slot, the first the one taken above.
            batch = self.payloads_of(frames)
            if not batch:
                slots.release()
                continue
            work.put(batch[0])
            for payload in batch[1:]:
                slots.acquire()
                work.put(payload)
        self._stop_taking(lambda frames: [work.put(p) for p in self.payloads_of(frames)])
        for _ in pool:
            work.put(None)
        for thread in pool:
            thread.join(self.drain_timeout)

    def _thread_loop(self, work, slots):
        handle = self.handle_request
        while True:
            payload = work.get()
            if payload is None:
                return
            try:
                handle(payload)
            finally:
                slots.release()

    # ------------------------------------------------------------ one request

    def payloads_of(self, frames):
        """The request payloads of one PULL message ([] when it has too many to take)."""
        try:
            return payloads(frames, topic=False)
        except ProtocolError as err:
            self.malformed("requests", f"{err.code}: {err}")
            return []

    def handle(self, frames):
        """One PULL message: each frame is a request, run in order; a malformed one is dropped
        on its own."""
        for payload in self.payloads_of(frames):
            self.handle_request(payload)

    def handle_request(self, payload):
        try:
            msg = decode_to_handler(payload)
        except ProtocolError as err:
            self.rejected("requests", err)
            return
        if msg["kind"] != "request":
            self.malformed("requests", f"kind {msg['kind']} on the requests socket")
            return
        ex = Exchange(msg["fid"], msg["conn"], msg["req"], msg.get("window"), msg["token"])
        self.inflight[ex.key] = ex
        self.taken += 1  # the control thread ticks while this changes (see Control.run)
        if self.control.sleeping:
            self.control.kick()
        try:
            body_input = None
            if msg.get("stream"):
                # The body follows as `body` events to our topic: claim now, then grant credit.
                self.channel.claim(ex)
                body_input = ex.body = StreamedInput(lambda n: self.channel.credit(ex, n))
                body_input.start()
            environ = self.environ.build(msg, body_input)
            if msg.get("upgrade") == "websocket" and self.websockets is not None:
                self.websockets.upgrade(ex, msg, environ)
                ex = None  # the hub answers it and drops it from `inflight`
                return
            run_app(self.app, environ, self.channel, ex, self.log_error, self.app_name)
        except Exception:
            self.log_error("request failed before the app ran", sys.exc_info())
            try:
                self.channel.error(ex, "INTERNAL", "the handler could not run the request")
            except Exception:
                pass
        finally:
            if ex is not None:
                ex.done = True
                del self.inflight[ex.key]
