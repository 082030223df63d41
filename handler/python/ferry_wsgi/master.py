"""The master process: forks N workers, respawns the ones that die (with backoff), drains them
on SIGTERM/SIGINT, and replaces them on SIGHUP (new workers first, then the old ones drain).

The master never imports the app, so a reload picks up new code and a broken app cannot take
the master down with it. Workers report "ready" on a pipe once connected to a frontend.
"""

import errno
import os
import select
import signal
import sys
import time
import traceback

#: Exit status of a worker that could not load the app.
EXIT_APP_LOAD = 4
#: Respawn delays grow from BACKOFF_MIN to BACKOFF_MAX seconds while workers keep dying young.
BACKOFF_MIN = 0.1
BACKOFF_MAX = 10.0
#: A worker that lived this long resets the backoff.
HEALTHY_AFTER = 5.0


class Proc:
    __slots__ = ("pid", "slot", "gen", "started", "ready", "stopping", "kill_at")

    def __init__(self, pid, slot, gen):
        self.pid, self.slot, self.gen = pid, slot, gen
        self.started = time.monotonic()
        self.ready = False
        self.stopping = False
        self.kill_at = None


class Master:
    def __init__(self, config, stderr=None):
        self.config = config
        self.stderr = stderr or sys.stderr
        self.procs = {}  # pid -> Proc
        self.gen = 0  # the generation serving now
        self.reloading = None  # generation being started by SIGHUP, if any
        self.failures = {}  # slot -> consecutive early deaths
        self.respawn_at = {}  # slot -> monotonic time
        self.ever_ready = False
        self.stopping = False
        self.exit_code = 0
        self.signals = []

    def log(self, text):
        self.stderr.write(f"ferry-wsgi[{os.getpid()}] master: {text}\n")
        self.stderr.flush()

    # ------------------------------------------------------------ workers

    def spawn(self, slot, gen):
        pid = os.fork()
        if pid == 0:
            self._child(slot)  # never returns
        self.procs[pid] = Proc(pid, slot, gen)
        return pid

    def _child(self, slot):
        code = 1
        try:
            signal.set_wakeup_fd(-1)
            for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGCHLD):
                signal.signal(sig, signal.SIG_DFL)
            signal.signal(signal.SIGHUP, signal.SIG_IGN)  # the master reloads, not the workers
            os.close(self._wake_r)
            os.close(self._wake_w)
            os.close(self._ready_r)
            code = run_worker(self.config, slot, self._ready_w, self.stderr)
        except SystemExit as exit_:
            code = exit_.code if isinstance(exit_.code, int) else 1
        except BaseException:
            traceback.print_exc(file=self.stderr)
        finally:
            try:
                self.stderr.flush()
            finally:
                os._exit(code)

    def stop_proc(self, proc, sig=signal.SIGTERM):
        if not proc.stopping:
            proc.stopping = True
            proc.kill_at = time.monotonic() + self.config.graceful_timeout
        try:
            os.kill(proc.pid, sig)
        except ProcessLookupError:
            pass

    # ------------------------------------------------------------ main loop

    def run(self):
        cfg = self.config
        self._ready_r, self._ready_w = os.pipe()
        self._wake_r, self._wake_w = os.pipe()
        for fd in (self._wake_r, self._wake_w, self._ready_r):
            os.set_blocking(fd, False)
        signal.set_wakeup_fd(self._wake_w)
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGCHLD):
            signal.signal(sig, lambda signum, frame: self.signals.append(signum))
        where = " ".join(repr(f) for f in cfg.frontends)
        what = cfg.app or ("Django" if cfg.django_settings else "WebSockets only")
        if cfg.websocket:
            what += f", WebSockets {cfg.websocket}"
        self.log(f"{cfg.workers} worker(s) x {cfg.threads} thread(s) for {what}, connecting to {where}")
        for slot in range(cfg.workers):
            self.spawn(slot, self.gen)
        buffer = b""
        while self.procs or not self.stopping:
            timeout = self._next_timeout()
            try:
                readable, _, _ = select.select([self._wake_r, self._ready_r], [], [], timeout)
            except InterruptedError:
                readable = []
            if self._wake_r in readable:
                _drain_fd(self._wake_r)
            if self._ready_r in readable:
                buffer += _drain_fd(self._ready_r)
                *lines, buffer = buffer.split(b"\n")
                for line in lines:
                    self.on_ready(int(line))
            while self.signals:
                self.on_signal(self.signals.pop(0))
            self.reap()
            self.tick()
        self.log("all workers stopped")
        return self.exit_code

    def _next_timeout(self):
        now = time.monotonic()
        times = list(self.respawn_at.values())
        times += [p.kill_at for p in self.procs.values() if p.kill_at is not None]
        if not times:
            return None
        return max(0.0, min(times) - now)

    def on_signal(self, signum):
        if signum in (signal.SIGTERM, signal.SIGINT):
            if not self.stopping:
                self.log(f"{signal.Signals(signum).name}: draining workers")
                self.shutdown()
        elif signum == signal.SIGHUP and not self.stopping:
            self.reload()

    def shutdown(self, code=None):
        self.stopping = True
        if code is not None:
            self.exit_code = code
        self.respawn_at.clear()
        for proc in list(self.procs.values()):
            self.stop_proc(proc)

    def reload(self):
        if self.reloading is not None:
            return
        self.reloading = self.gen + 1
        self.log("SIGHUP: starting new workers")
        for slot in range(self.config.workers):
            self.spawn(slot, self.reloading)

    def on_ready(self, pid):
        proc = self.procs.get(pid)
        if proc is None:
            return
        proc.ready = True
        self.ever_ready = True
        if self.reloading is not None and proc.gen == self.reloading:
            fresh = [p for p in self.procs.values() if p.gen == self.reloading]
            if len(fresh) == self.config.workers and all(p.ready for p in fresh):
                # Every new worker is serving: the old ones drain and go.
                for old in [p for p in self.procs.values() if p.gen != self.reloading]:
                    self.stop_proc(old)
                self.gen, self.reloading = self.reloading, None
                self.respawn_at.clear()
                self.log("reload complete")

    def reap(self):
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            except OSError as err:
                if err.errno == errno.EINTR:
                    continue
                raise
            if pid == 0:
                return
            proc = self.procs.pop(pid, None)
            if proc is not None:
                self.on_exit(proc, os.waitstatus_to_exitcode(status))

    def on_exit(self, proc, code):
        if proc.stopping or self.stopping:
            self.log(f"worker {proc.pid} stopped ({code})")
            return
        if self.reloading is not None and proc.gen == self.reloading and not proc.ready:
            self.log(f"reload failed: new worker {proc.pid} exited with {code}; keeping the old workers")
            for p in [p for p in self.procs.values() if p.gen == self.reloading]:
                self.stop_proc(p)
            self.reloading = None
            return
        if proc.gen != self.gen:
            return
        if code == EXIT_APP_LOAD and not self.ever_ready:
            self.log("the app could not be loaded; stopping")
            self.shutdown(1)
            return
        lived = time.monotonic() - proc.started
        fails = 0 if lived >= HEALTHY_AFTER else self.failures.get(proc.slot, 0) + 1
        self.failures[proc.slot] = fails
        delay = 0.0 if fails == 0 else min(BACKOFF_MAX, BACKOFF_MIN * 2 ** (fails - 1))
        self.log(f"worker {proc.pid} exited with {code}; respawning in {delay:.1f} s")
        self.respawn_at[proc.slot] = time.monotonic() + delay

    def tick(self):
        now = time.monotonic()
        for slot, when in list(self.respawn_at.items()):
            if when <= now and not self.stopping:
                del self.respawn_at[slot]
                self.spawn(slot, self.gen)
        for proc in list(self.procs.values()):
            if proc.kill_at is not None and proc.kill_at <= now:
                self.log(f"worker {proc.pid} did not finish in time: killing it")
                proc.kill_at = None
                self.stop_proc(proc, signal.SIGKILL)


def _drain_fd(fd):
    out = b""
    while True:
        try:
            chunk = os.read(fd, 4096)
        except (BlockingIOError, InterruptedError):
            return out
        if not chunk:
            return out
        out += chunk


def run_worker(config, slot, ready_fd, stderr):
    """Body of a worker process: load the app, serve until drained. Returns the exit status."""
    from .loader import AppLoadError, enter, load_app, load_websocket
    from .websocket import not_found_app
    from .worker import Worker

    try:
        if config.app or config.django_settings:
            app = load_app(config.app, config.django_settings, config.chdir)
        else:
            enter(config.chdir)
            app = not_found_app
        websocket = load_websocket(config.websocket) if config.websocket else None
    except AppLoadError as err:
        stderr.write(f"ferry-wsgi[{os.getpid()}]: {err}\n")
        return EXIT_APP_LOAD
    except Exception:
        stderr.write(f"ferry-wsgi[{os.getpid()}]: the app failed to import:\n")
        traceback.print_exc(file=stderr)
        return EXIT_APP_LOAD

    def ready(worker):
        if ready_fd is not None:
            os.write(ready_fd, f"{os.getpid()}\n".encode())

    worker = Worker(
        app,
        config.frontends,
        threads=config.threads,
        prefetch=config.prefetch,
        multiprocess=config.workers > 1,
        heartbeat_ms=config.heartbeat_ms,
        claim_after_ms=config.claim_after_ms,
        on_ready=ready,
        label=f" (worker {slot + 1}/{config.workers})",
        stderr=stderr,
        drain_timeout=config.graceful_timeout,
        websocket=websocket,
    )
    worker.install_signals()
    return worker.run()
