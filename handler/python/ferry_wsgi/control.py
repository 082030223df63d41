"""The control thread of a worker: hello and heartbeats, explicit claims, and events.

It wakes every few milliseconds, so a request the app has not answered within `claim_after`
gets its explicit claim no matter what the app threads are doing, and heartbeats keep going
while an app blocks.
"""

import os
import threading
import time

import zmq

from .protocol import ProtocolError, decode_to_handler, payloads

STAR = b"*"
#: Seconds between checks for frontends that (re)subscribed, once one has.
PUMP_INTERVAL = 0.05


def _drain(fd):
    try:
        while os.read(fd, 512):
            pass
    except BlockingIOError:
        pass


class Control(threading.Thread):
    def __init__(self, worker, tick=0.005):
        super().__init__(name="ferry-control", daemon=True)
        self.worker = worker
        self.transport = worker.transport
        self.channel = worker.channel
        self.inflight = worker.inflight
        self.tick = tick
        self.stopping = threading.Event()
        self.first_peer = threading.Event()
        self.hid = worker.transport.hid
        self.sleeping = False
        self._kick_r, self._kick_w = os.pipe()
        os.set_blocking(self._kick_r, False)
        os.set_blocking(self._kick_w, False)

    def stop(self):
        self.stopping.set()
        self.kick()

    def kick(self):
        """Wake the thread from a long sleep: a request started (so a claim may fall due)."""
        try:
            os.write(self._kick_w, b"k")
        except OSError:
            pass

    def close(self):
        os.close(self._kick_r)
        os.close(self._kick_w)

    def run(self):
        w = self.worker
        poller = zmq.Poller()
        poller.register(self.transport.sub, zmq.POLLIN)
        poller.register(self._kick_r, zmq.POLLIN)
        interval = w.heartbeat_ms / 1000.0
        next_beat = time.monotonic() + interval
        next_pump = 0.0
        claim_after = w.claim_after
        inflight = self.inflight
        seen = w.taken
        while not self.stopping.is_set():
            try:
                # Sleep until the earliest claim falls due, the next heartbeat or subscription
                # check. While requests keep arriving we also wake every `claim_after`, so a
                # request that arrives meanwhile is seen before its claim is due without a kick
                # (a kick per request cost a write and a thread wake-up each). Once a whole tick
                # passed without one, we sleep and a new request kicks us awake: the main thread
                # checks `sleeping` after adding it; we scan `inflight` after setting it.
                start = time.monotonic()
                taken = w.taken
                busy = taken != seen
                seen = taken
                self.sleeping = not busy
                wake = min(next_beat, next_pump)
                if busy and start + claim_after < wake:
                    wake = start + claim_after
                for ex in list(inflight.values()):
                    if not ex.sent:
                        self.sleeping = False  # we wake for its claim, before any later one's
                        if ex.started + claim_after < wake:
                            wake = ex.started + claim_after
                timeout = max(1, int((wake - time.monotonic()) * 1000) + 1)
                ready = poller.poll(timeout)
                self.sleeping = False
                for sock, _ in ready:
                    if sock == self._kick_r:
                        _drain(self._kick_r)
                    else:
                        self.read_events()
                now = time.monotonic()
                if inflight:
                    due = now - claim_after
                    for ex in list(inflight.values()):
                        if not ex.sent and ex.started <= due:
                            self.channel.claim(ex)
                if now >= next_pump:
                    # New frontends get a hello at once (a restarted one has a new id).
                    next_pump = now + (PUMP_INTERVAL if self.first_peer.is_set() else self.tick)
                    with self.channel.lock:
                        fresh = self.transport.take_fresh()
                    if fresh:
                        # A hello tells the frontends this worker takes new work again: a
                        # draining worker says heartbeat (liveness, the secret) instead.
                        kind = "heartbeat" if w.draining else "hello"
                        self.channel.hello(kind, w.capacity, len(inflight), w.heartbeat_ms, w.batch)
                        self.first_peer.set()
                        w.on_peers(fresh)
                if now >= next_beat:
                    self.channel.hello("heartbeat", w.capacity, len(inflight), w.heartbeat_ms, w.batch)
                    next_beat = max(next_beat + interval, now + interval / 2)
            except zmq.ContextTerminated:
                return
            except Exception as err:  # never let the heartbeat die
                w.log(f"control thread error: {err!r}")
                time.sleep(self.tick)

    def read_events(self):
        receive = self.transport.receive_event
        for _ in range(1000):  # bounded: claims and heartbeats must not starve
            frames = receive()
            if frames is None:
                return
            if frames[0] != self.hid and frames[0] != STAR:
                continue  # a prefix match of another handler's topic: not ours
            # [topic, payload, payload, ...]: every payload under that one topic, in order.
            try:
                batch = payloads(frames, topic=True)
            except ProtocolError as err:
                self.worker.malformed("events", f"{err.code}: {err}")
                continue
            for payload in batch:
                try:
                    msg = decode_to_handler(payload)
                except ProtocolError as err:
                    self.worker.rejected("events", err)
                    continue
                self.on_event(msg)

    def on_event(self, msg):
        kind = msg["kind"]
        inflight = self.inflight
        websockets = self.worker.websockets
        if kind == "ws":
            if websockets is not None:
                websockets.message(msg)
            return
        if kind == "disconnect":
            if websockets is not None:
                websockets.disconnect(msg)
            fid, conn, req = msg["fid"], msg["conn"], msg.get("req")
            if req is not None:
                ex = inflight.get((fid, conn, req))
                if ex is not None:
                    ex.cancel("client disconnected")
                return
            for ex in list(inflight.values()):
                if ex.conn == conn and ex.fid == fid:
                    ex.cancel("client disconnected")
            return
        ex = inflight.get((msg["fid"], msg["conn"], msg["req"]))
        if ex is None:
            return  # for a request we do not hold (or no longer)
        if kind == "cancel":
            ex.cancel(msg["reason"])
        elif kind == "credit":
            ex.add_credit(msg["bytes"])
        elif kind == "body":
            if ex.body is not None:
                ex.body.feed(msg["data"], msg.get("end", False))
