"""Processes of a load or test run: a real hub (``python -m server run``) on a free port.

The same entry point as ``make run`` and the Procfile, so tests and benchmarks
see the websocket settings, the lifespan and the shutdown that users get.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class HubProcess:
    """One hub process (uvicorn) on 127.0.0.1:<free port>."""

    def __init__(self, redis_url: str, log_dir: Path, **env: str) -> None:
        self.redis_url = redis_url
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log_path = log_dir / f"hub-{self.port}.log"
        self.env = {
            **os.environ,
            "REDIS_URL": redis_url,
            "HOST": "127.0.0.1",
            "PORT": str(self.port),
            "DEMO": "0",
            "LOG_LEVEL": "warning",
            **env,
        }
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 20) -> HubProcess:
        log = self.log_path.open("ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "server", "run"],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"hub exited early:\n{self.log()}")
            with (
                contextlib.suppress(OSError),
                urllib.request.urlopen(self.base + "/healthz", timeout=1) as r,
            ):
                if r.status == 200:
                    return self
            time.sleep(0.05)
        self.kill()
        raise RuntimeError(f"hub did not start:\n{self.log()}")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def stop(self, timeout: float = 15) -> int | None:
        """Graceful: SIGTERM, as a process manager would."""
        if self.proc is None or self.proc.poll() is not None:
            return None if self.proc is None else self.proc.returncode
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            return None

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)

    def restart(self) -> HubProcess:
        """Stop (gracefully) and start again on the same port."""
        self.stop()
        return self.start()

    def rss_kb(self) -> int:
        """Resident memory of the hub process (Linux /proc)."""
        assert self.proc is not None
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        return 0
