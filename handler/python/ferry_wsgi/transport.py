"""The ZeroMQ side of a worker: the only module that touches sockets.

Per worker process: PULL (requests), XPUB (replies; an XPUB so the worker sees each frontend
subscribe, says hello to it at once and never publishes into the void) and SUB (events, topics =
handler id and "*"), each connected to every frontend. ZeroMQ sockets are not thread-safe:
PULL belongs to the main thread, SUB to the control thread, XPUB is used under the reply lock.
"""

import time

import zmq
from zmq.backend import Socket as _RawSocket

from .fields import MAX_MESSAGE_BYTES

# The backend's send/recv/get, without pyzmq's Python-level wrappers: a third of the cost of
# send_multipart/recv_multipart on the per-request path.
_send = _RawSocket.send
_recv = _RawSocket.recv
_get = _RawSocket.get
SNDMORE = zmq.SNDMORE
RCVMORE = zmq.RCVMORE

STAR = b"*"
#: Requests ZeroMQ decodes ahead into the PULL queue. Not a load-balancing bound: a frontend's
#: PUSH hands requests round-robin to every connected worker as fast as TCP takes them, so a
#: busy worker's kernel socket buffers hold far more than this anyway. What it sets is how often
#: the main thread has to wake the I/O thread to resume reading (every REQUEST_HWM/2 requests;
#: with 2 it was every request, plus a wake-up of the main thread for each one it received).
REQUEST_HWM = 32
#: Reply messages queued per frontend before a send waits (XPUB_NODROP: replies are never
#: dropped). High, so that a burst of replies (a broadcast, a batch of requests answered at once)
#: or a frontend that pauses for a moment never makes the app threads wait.
REPLY_HWM = 1_000_000
#: How long a send may wait for a frontend that stopped reading before the message is dropped.
SEND_TIMEOUT_MS = 5_000
#: How long a reply waits for a frontend's subscription that has not arrived yet (slow joiner).
PEER_WAIT = 1.0


class Endpoints:
    """The three endpoints of one frontend's handler group."""

    __slots__ = ("requests", "replies", "events")

    def __init__(self, requests, replies, events):
        self.requests, self.replies, self.events = requests, replies, events

    def __repr__(self):
        return f"{self.requests},{self.replies},{self.events}"

    def __eq__(self, other):
        return isinstance(other, Endpoints) and repr(self) == repr(other)


class ZmqTransport:
    def __init__(self, frontends, hid, receive_hwm=REQUEST_HWM):
        self.frontends = list(frontends)
        self.hid = hid.encode("utf-8")
        self.ctx = zmq.Context(io_threads=1)
        common = {zmq.RECONNECT_IVL: 100, zmq.RECONNECT_IVL_MAX: 1000}
        self.pull = self.ctx.socket(zmq.PULL)
        self.pull.setsockopt(zmq.RCVHWM, max(1, receive_hwm))
        self.pull.setsockopt(zmq.LINGER, 0)
        # A peer that sends a larger frame than any valid message has its connection dropped by
        # ZeroMQ before the frame is held in memory.
        self.pull.setsockopt(zmq.MAXMSGSIZE, MAX_MESSAGE_BYTES)
        self.pub = self.ctx.socket(zmq.XPUB)
        self.pub.setsockopt(zmq.SNDHWM, REPLY_HWM)
        self.pub.setsockopt(zmq.XPUB_NODROP, 1)
        self.pub.setsockopt(zmq.SNDTIMEO, SEND_TIMEOUT_MS)
        self.pub.setsockopt(zmq.LINGER, 2000)
        self.sub = self.ctx.socket(zmq.SUB)
        self.sub.setsockopt(zmq.LINGER, 0)
        self.sub.setsockopt(zmq.MAXMSGSIZE, MAX_MESSAGE_BYTES)
        self.sub.setsockopt(zmq.SUBSCRIBE, self.hid)
        self.sub.setsockopt(zmq.SUBSCRIBE, STAR)
        for sock in (self.pull, self.pub, self.sub):
            for opt, value in common.items():
                sock.setsockopt(opt, value)
        self.peers = set()  # topics (frontend ids) subscribed to our replies now
        self.gone = set()  # frontend ids that unsubscribed (a restarted or stopped frontend)
        self.fresh = []  # frontend ids that subscribed since the last take_fresh()
        self.dropped = 0  # replies a frontend did not take in SEND_TIMEOUT_MS
        self.requests_connected = False

    # ------------------------------------------------------------ setup

    def connect_replies_and_events(self):
        for f in self.frontends:
            self.pub.connect(f.replies)
            self.sub.connect(f.events)

    def connect_requests(self):
        for f in self.frontends:
            self.pull.connect(f.requests)
        self.requests_connected = True

    def stop_requests(self):
        """Take no more requests (a disconnected PULL gets nothing new from the frontends)."""
        if not self.requests_connected:
            return
        self.requests_connected = False
        for f in self.frontends:
            try:
                self.pull.disconnect(f.requests)
            except zmq.ZMQError:
                pass

    def close(self, linger_ms=2000):
        self.pub.setsockopt(zmq.LINGER, linger_ms)
        for sock in (self.pull, self.sub, self.pub):
            sock.close()
        self.ctx.term()

    # ------------------------------------------------------------ replies (under the reply lock)

    def pump_subscriptions(self):
        """Read subscription changes from the XPUB; new frontend ids go to `fresh`."""
        while True:
            try:
                frame = self.pub.recv(zmq.NOBLOCK)
            except zmq.Again:
                return
            if not frame:
                continue
            topic = frame[1:]
            if topic == STAR:
                continue
            if frame[0] == 1:
                if topic not in self.peers:
                    self.peers.add(topic)
                    self.gone.discard(topic)
                    self.fresh.append(topic)
            else:
                self.peers.discard(topic)
                self.gone.add(topic)

    def take_fresh(self):
        """Frontend ids that subscribed since the last call (each gets a hello)."""
        self.pump_subscriptions()
        fresh, self.fresh = self.fresh, []
        return fresh

    def publish(self, topic, payload):
        self.publish_many(topic, (payload,))

    def publish_many(self, topic, payloads):
        """One message `[topic, payload, payload, ...]` (1 to MAX_PAYLOADS payloads)."""
        if topic is not STAR and topic not in self.peers and topic not in self.gone:
            self._await_peer(topic)
        pub = self.pub
        try:
            _send(pub, topic, SNDMORE, True, False)
        except zmq.Again:
            self.dropped += len(payloads)
            return
        last = len(payloads) - 1
        for i, payload in enumerate(payloads):
            _send(pub, payload, SNDMORE if i < last else 0, len(payload) < 65536, False)

    def _await_peer(self, topic):
        # A request came from this frontend, so its subscription is on the way: a reply sent
        # before it arrives would be dropped by ZeroMQ.
        deadline = time.monotonic() + PEER_WAIT
        while topic not in self.peers:
            left = deadline - time.monotonic()
            if left <= 0 or not self.pub.poll(int(left * 1000) + 1, zmq.POLLIN):
                return
            self.pump_subscriptions()

    # ------------------------------------------------------------ requests (main thread)

    def receive_request(self, block):
        """One PULL message's frames (each one `request` payload), or None when none is waiting
        (block=False); raises zmq.Again when the receive timeout (RCVTIMEO) passes first."""
        pull = self.pull
        try:
            frame = _recv(pull, 0 if block else zmq.NOBLOCK, True, False)
        except zmq.Again:
            if block:
                raise
            return None
        if not _get(pull, RCVMORE):
            return [frame]
        frames = [frame]  # a batch: one request per frame
        while _get(pull, RCVMORE):
            frames.append(_recv(pull, 0, True, False))
        return frames

    # ------------------------------------------------------------ events (control thread)

    def receive_event(self):
        """One SUB message's frames ([topic, payload, ...]), or None when none is waiting."""
        try:
            return self.sub.recv_multipart(zmq.NOBLOCK)
        except zmq.Again:
            return None
