"""``python -m server run --workers N`` as a test drives it: own data dir, so its
own embedded Redis; ports below the ephemeral range; every process stopped by PID
(tests/integration/test_workers.py, tests/integration/test_nginx_proxy.py)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

from bench.loadtest.processes import ROOT
from server.ops.embedded_redis import PID_NAME, SOCKET_NAME
from tests.integration import harness

WORKERS = 2
# Generous bounds for a loaded 2-core machine: a bound, not a timing claim.
START_TIMEOUT_S = 40.0
EXIT_TIMEOUT_S = 40.0


def free_ports(n: int) -> tuple[int, int]:
    """A free port, and a base port with ``n`` free ports after it, all below
    the kernel's ephemeral range: the processes are restarted on these ports,
    and an ephemeral port is any outgoing connection's (of any process on this
    busy machine) between two binds."""
    low = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    rng = random.Random()
    for _ in range(500):
        main = rng.randrange(10000, low - n - 1)
        base = main + 1
        with contextlib.ExitStack() as held:
            try:
                for port in range(main, base + n):
                    s = held.enter_context(socket.socket())
                    s.bind(("127.0.0.1", port))
            except OSError:
                continue
        return main, base
    raise RuntimeError("no run of free ports")


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie (exited, not yet reaped by its parent) is not running.
    with contextlib.suppress(OSError):
        return Path(f"/proc/{pid}/stat").read_text().split(") ")[-1][0] != "Z"
    return False


class Workers:
    """``python -m server run --workers N`` on 127.0.0.1, own data dir."""

    def __init__(self, data_dir: Path, n: int = WORKERS, **env: str) -> None:
        self.n = n
        self.data_dir = data_dir
        self.port, self.worker_base = free_ports(n)
        self.base = f"http://127.0.0.1:{self.port}"
        self.worker_urls = [f"http://127.0.0.1:{self.worker_base + i}" for i in range(n)]
        self.redis_url = f"unix://{data_dir / SOCKET_NAME}"
        self.log_path = data_dir / "workers.log"
        self.env = {
            **os.environ,
            **harness.PER_ADDRESS_UNLIMITED, **harness.NO_WEBHOOKS, **harness.QUICK_HANDOVER,
            "REDIS_URL": "",  # the parent starts the embedded one
            "DATA_DIR": str(data_dir),
            "HOST": "127.0.0.1",
            "DEMO": "0",
            "LOG_LEVEL": "info",
            # The tests also open pages' sockets on the worker ports, to pick a process.
            "ALLOWED_ORIGINS": ",".join([self.base, *self.worker_urls]),
            **env,
        }  # fmt: skip
        self.proc: subprocess.Popen[bytes] | None = None
        self.seen: list[int] = []  # every pid a test met, killed at the end if alive

    def start(self, *extra: str) -> subprocess.Popen[bytes]:
        with self.log_path.open("ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "server", "run", "--workers", str(self.n),
                 "--port", str(self.port), "--worker-port-base", str(self.worker_base), *extra],
                cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip
        return self.proc

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    async def processes(self) -> list[dict[str, Any]]:
        """Each worker's ``process`` (pid, id) from its own port, once all are ready."""
        deadline = time.monotonic() + START_TIMEOUT_S
        async with httpx.AsyncClient(timeout=2) as http:
            while True:
                assert self.proc is not None
                if self.proc.poll() is not None:
                    raise AssertionError(f"parent exited {self.proc.returncode}:\n{self.log()}")
                found: list[dict[str, Any]] = []
                for url in self.worker_urls:
                    with contextlib.suppress(httpx.HTTPError):
                        r = await http.get(url + "/readyz")
                        if r.status_code == 200:
                            found.append(r.json()["process"])
                if len(found) == self.n:
                    return found
                if time.monotonic() > deadline:
                    raise AssertionError(f"workers not ready:\n{self.log()}")
                await asyncio.sleep(0.05)

    def redis_pid(self) -> int:
        return int((self.data_dir / PID_NAME).read_text().split()[0])

    async def wait_exit(self) -> int:
        assert self.proc is not None
        return await asyncio.to_thread(self.proc.wait, EXIT_TIMEOUT_S)

    def kill_all(self, pids: list[int]) -> None:
        """The test's own clean-up, by PID, whatever happened."""
        for pid in [*pids, *([self.proc.pid] if self.proc else [])]:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        if self.proc is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(10)


@contextlib.contextmanager
def workers_in(data_dir: Path, n: int = WORKERS, **env: str) -> Iterator[Workers]:
    """A ``Workers`` whose every process is gone when the block ends."""
    running = Workers(data_dir, n, **env)
    try:
        yield running
    finally:
        # Shown by pytest with a failed test's output: every process's log.
        print(running.log())
        if running.proc is not None and running.proc.poll() is None:
            running.proc.send_signal(signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                running.proc.wait(EXIT_TIMEOUT_S)
        pid_file = data_dir / PID_NAME
        extra = [int(pid_file.read_text().split()[0])] if pid_file.exists() else []
        running.kill_all([*running.seen, *extra])
