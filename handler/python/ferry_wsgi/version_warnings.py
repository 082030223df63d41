"""The warning a worker logs when a frontend speaks another protocol version: one line per
frontend a minute at most, with the count of messages dropped since the last line, so an old
frontend is never silent and never floods the log."""

import threading
import time

from .fields import PROTOCOL_VERSION

#: Seconds between two lines about the same frontend.
EVERY = 60.0

#: What a frontend of each older version does not send, named in the warning.
LACKS = {1: "token, port, v:2"}


def version_warning(peer, version, held_back=0):
    """The log line for messages of `version` from frontend `peer` (None when it gave no id)."""
    who = f"frontend {peer}" if peer else "a frontend"
    needs = LACKS.get(version, f"v:{PROTOCOL_VERSION}")
    line = (
        f"{who} speaks Ferry protocol v{version}; this handler speaks v{PROTOCOL_VERSION} "
        f"(needs {needs}): upgrade the frontend"
    )
    if held_back:
        line += f" ({held_back} more such messages since the last warning)"
    return line


class VersionWarnings:
    """Rate-limits version warnings per frontend id; used by the main and control threads."""

    def __init__(self, log, every=EVERY, clock=time.monotonic):
        self.log = log  # (text) -> None
        self.every = every
        self.clock = clock
        self.lock = threading.Lock()
        self.peers = {}  # (peer, version) -> [time of the last line, messages held back since]

    def saw(self, peer, version):
        """A message of `version` came from `peer`: log now, or count it for the next line."""
        now = self.clock()
        key = (peer, version)
        with self.lock:
            entry = self.peers.get(key)
            if entry is not None and now - entry[0] < self.every:
                entry[1] += 1
                return
            held_back = entry[1] if entry is not None else 0
            if len(self.peers) > 1024:  # ids are chosen by peers: keep the table bounded
                self.peers.clear()
            self.peers[key] = [now, 0]
        self.log(version_warning(peer, version, held_back))
