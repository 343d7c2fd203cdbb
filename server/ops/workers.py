"""``python -m server run --workers N``: N hub processes behind one port, one Redis.

The parent serves nothing. It starts the embedded redis-server once (when no
``REDIS_URL`` is given; ``server/cli.py``), then N children, each a full
``python -m server run --reuse-port --worker-port <P+i>`` with ``REDIS_URL``
pointing at that Redis (a unix socket). Every child binds its own listening
socket on the shared port with ``SO_REUSEPORT``; the kernel spreads new
connections over the listening sockets by a hash of the connection's
addresses. Each child also listens on its own worker port, where Prometheus
scrapes that process's ``/metrics`` (one registry per process: docs/architecture.md,
"Metrics and logs"). Why this rather than uvicorn's ``--workers`` is in
docs/scaling.md, "Several processes on one machine".

Contracts:

- **Stop is bounded and ordered.** SIGTERM or SIGINT to the parent sends
  SIGTERM to every child by PID, waits at most ``STOP_TIMEOUT_S`` for them
  (each flushes its likes and presence, then exits), SIGKILLs any left, and
  only then returns, so the caller stops Redis after the last child. Signals
  only set a flag that the loop reads: nothing runs inside a handler.
- **A child that dies is restarted** on the same worker port, after a backoff
  (``RESTART_DELAYS_S``); its viewers reconnect to the others meanwhile and
  resume by stream position. A child that fails to *start* (uvicorn's status
  ``STARTUP_FAILURE``: port taken, Redis unreachable, bad settings) would fail
  the same way again: the parent stops everything and exits with that status.
  More than ``MAX_RESTARTS`` deaths of one worker within ``RESTART_WINDOW_S``
  is a crash loop: the parent stops everything and exits 1.
- **Children do not outlive the parent**: each asks the kernel for SIGTERM
  when its parent dies (``PR_SET_PDEATHSIG``), so a ``kill -9`` of the parent
  still shuts every child down gracefully. The embedded Redis then keeps
  running and is reused by the next start (``server/ops/embedded_redis.py``).
- Children run in their own session: a Ctrl-C in the terminal reaches only
  the parent, which stops them in order (never Redis first).
"""

from __future__ import annotations

import collections
import contextlib
import ctypes
import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import FrameType

log = logging.getLogger("xs.workers")

# uvicorn's exit status for "could not start" (server/cli.py STARTUP_FAILURE).
STARTUP_FAILURE = 3
# A child's graceful stop: uvicorn's graceful shutdown (5 s for open
# connections), then the hub's last like flush and presence report (2 s each).
STOP_TIMEOUT_S = 15.0
# After SIGKILL a process is gone as soon as the kernel reaps it.
KILL_TIMEOUT_S = 5.0
# Backoff before restarting a dead worker: the n-th death within the window
# waits RESTART_DELAYS_S[n] (the last value repeats).
RESTART_DELAYS_S = (0.5, 1.0, 2.0, 5.0)
MAX_RESTARTS = 5
RESTART_WINDOW_S = 60.0
# How often the parent looks at its children and its signal flag.
POLL_S = 0.05

_PR_SET_PDEATHSIG = 1


@dataclass
class Worker:
    index: int
    port: int  # this worker's own port (its /metrics)
    proc: subprocess.Popen[bytes] | None = None
    start_at: float = 0.0  # when a pending restart is due (monotonic)
    deaths: collections.deque[float] = field(default_factory=collections.deque)


class Supervisor:
    """The parent of N hub processes (see the module docstring)."""

    def __init__(
        self,
        *,
        host: str,
        port: int,
        worker_ports: Sequence[int],
        env: Mapping[str, str],
        demo: bool = False,
    ) -> None:
        self.host = host
        self.port = port
        self.env = dict(env)
        self.demo = demo
        self.workers = [Worker(i, p) for i, p in enumerate(worker_ports)]
        self._signal: int | None = None
        self._failure: int | None = None

    # --- the loop -------------------------------------------------------------------

    def run(self) -> int:
        """Serve until a signal or a failure; returns the process's exit status."""
        previous = {
            sig: signal.signal(sig, self._on_signal) for sig in (signal.SIGTERM, signal.SIGINT)
        }
        try:
            for worker in self.workers:
                self._spawn(worker)
            log.info(
                "%d hub processes on %s:%d (worker ports %s)",
                len(self.workers), self.host, self.port,
                ", ".join(str(w.port) for w in self.workers),
            )  # fmt: skip
            while self._signal is None and self._failure is None:
                self._watch()
                time.sleep(POLL_S)
        finally:
            self.stop_all()
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        if self._failure is not None:
            return self._failure
        assert self._signal is not None
        return 128 + self._signal

    def pids(self) -> list[int]:
        return [w.proc.pid for w in self.workers if w.proc is not None and w.proc.poll() is None]

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        if self._signal is None:
            self._signal = signum

    def _watch(self) -> None:
        now = time.monotonic()
        for worker in self.workers:
            if worker.proc is None:
                if now >= worker.start_at:
                    self._spawn(worker)
                continue
            code = worker.proc.poll()
            if code is None:
                continue
            pid = worker.proc.pid
            worker.proc = None
            if code == STARTUP_FAILURE:
                log.error(
                    "hub process %d (pid %d) could not start; stopping all (see its log above)",
                    worker.index, pid,
                )  # fmt: skip
                self._failure = STARTUP_FAILURE
                return
            while worker.deaths and now - worker.deaths[0] > RESTART_WINDOW_S:
                worker.deaths.popleft()
            worker.deaths.append(now)
            if len(worker.deaths) > MAX_RESTARTS:
                log.error(
                    "hub process %d died %d times in %.0f s; stopping all",
                    worker.index, len(worker.deaths), RESTART_WINDOW_S,
                )  # fmt: skip
                self._failure = 1
                return
            delay = RESTART_DELAYS_S[min(len(worker.deaths), len(RESTART_DELAYS_S)) - 1]
            worker.start_at = now + delay
            log.error(
                "hub process %d (pid %d) exited with status %s; restarting it in %.1f s",
                worker.index, pid, _status(code), delay,
            )  # fmt: skip

    def _spawn(self, worker: Worker) -> None:
        env = {**self.env, "DEMO": "1" if self.demo and worker.index == 0 else "0"}
        argv = [
            sys.executable, "-m", "server", "run",
            "--host", self.host, "--port", str(self.port), "--workers", "1",
            "--reuse-port", "--worker-port", str(worker.port),
        ]  # fmt: skip
        parent = os.getpid()
        worker.proc = subprocess.Popen(
            argv,
            env=env,
            start_new_session=True,
            preexec_fn=lambda: _die_with_parent(parent),  # the parent runs no threads
        )
        log.info("hub process %d started (pid %d)", worker.index, worker.proc.pid)

    # --- stop -----------------------------------------------------------------------

    def stop_all(self) -> None:
        """SIGTERM every child, wait (bounded), SIGKILL what is left."""
        running = [w.proc for w in self.workers if w.proc is not None and w.proc.poll() is None]
        for proc in running:
            proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + STOP_TIMEOUT_S
        for proc in running:
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(max(0.0, deadline - time.monotonic()))
        stuck = [proc for proc in running if proc.poll() is None]
        for proc in stuck:
            log.error("hub process pid %d did not stop in %.0f s; killed", proc.pid, STOP_TIMEOUT_S)
            proc.kill()
        for proc in stuck:
            try:
                proc.wait(KILL_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                log.error("hub process pid %d survived SIGKILL", proc.pid)
        for worker in self.workers:
            worker.proc = None
        if running:
            log.info("%d hub processes stopped", len(running))


def _die_with_parent(parent: int) -> None:
    """In the child, before exec: SIGTERM when the parent dies (Linux)."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    # The parent may have died between fork and prctl: then nobody would tell.
    if os.getppid() != parent:
        os._exit(1)


def _status(code: int) -> str:
    return f"signal {-code}" if code < 0 else str(code)
