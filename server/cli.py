"""``python -m server <command>``: run the hub, manage accounts.

Commands import what they need when they run, so ``--help`` stays instant and
``create-admin`` does not load the web stack.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import importlib
import importlib.util
import logging
import signal
import socket
import sys
import threading
from collections.abc import Callable, Sequence
from typing import Any, cast

from server.settings import Settings

# uvicorn's exit status when the server could not start (port taken, lifespan failed).
STARTUP_FAILURE = 3
# A process still running this long after SIGTERM ends itself (_stop_watchdog):
# above uvicorn's 5 s graceful shutdown plus Hub.stop's bounded steps, below
# the 15 s after which `run --workers` kills a child (server/ops/workers.py).
STOP_DEADLINE_S = 12.0
STUCK_AT_STOP = 70


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m server",
        description="协商在线 · 互动助手 (xieshang-live): the real-time hub.",
        epilog="Every other setting comes from the environment; see server/settings.py.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = commands.add_parser("run", help="serve the hub (embedded Redis unless REDIS_URL)")
    run.add_argument("--host", help="interface to bind (default: HOST or 127.0.0.1)")
    run.add_argument("--port", type=int, help="TCP port (default: PORT or 8000)")
    run.add_argument(
        "--workers",
        type=int,
        help="hub processes behind the one port, one Redis (default: WORKERS or 1; "
        "docs/scaling.md)",
    )
    run.add_argument(
        "--worker-port-base",
        type=int,
        help="with --workers N: process i also serves on <base+i>, for its own /metrics "
        "(default: WORKER_PORT_BASE, else port+1)",
    )
    run.add_argument(
        "--reuse-port",
        action="store_true",
        help="bind the port with SO_REUSEPORT, so several hub processes share it",
    )
    run.add_argument(
        "--worker-port", type=int, help="also serve on this port (this process's /metrics)"
    )
    run.set_defaults(handler=cmd_run)

    admin = commands.add_parser(
        "create-admin", help="create an admin (or reset its password); print the password once"
    )
    admin.add_argument("username")
    admin.set_defaults(handler=cmd_create_admin)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    handler: Callable[[argparse.Namespace], int] = args.handler
    try:
        return handler(args)
    except ValueError as exc:  # a bad setting or argument: say which, no traceback
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        # Ctrl-C: uvicorn already shut down gracefully and cmd_run stopped Redis;
        # uvicorn re-raises the signal afterwards, which is not an error to show.
        return 130


def cmd_run(args: argparse.Namespace) -> int:
    overrides: dict[str, Any] = {}
    if args.host is not None:
        overrides["host"] = args.host
    if args.port is not None:
        overrides["port"] = args.port
    if args.workers is not None:
        overrides["workers"] = args.workers
    if args.worker_port_base is not None:
        overrides["worker_port_base"] = args.worker_port_base
    settings = Settings.from_env(**overrides)
    if settings.workers < 1:
        raise ValueError(f"--workers must be at least 1, not {settings.workers}")
    from server.logging_setup import configure_logging

    # Once, first: the embedded Redis, uvicorn and the hub all log through it.
    configure_logging(settings)
    _raise_file_limit()

    from server.ops.embedded_redis import EmbeddedRedis

    embedded: EmbeddedRedis | None = None
    if not settings.redis_url:
        embedded = EmbeddedRedis(settings.data_dir, settings.redis_server_bin)
        settings = dataclasses.replace(settings, redis_url=embedded.start())
    if settings.workers > 1:
        try:
            return _supervise(settings, embedded)
        finally:
            # After the last child stopped (bounded: server/ops/workers.py).
            if embedded is not None:
                embedded.stop()
    # uvicorn turns SIGTERM into a graceful shutdown, then raises the signal
    # again for the handler it found. With the default one the process would die
    # right there, leaving Redis running; this one unwinds through `finally`.
    signal.signal(signal.SIGTERM, _exit_on_signal)
    try:
        return _serve(settings, embedded, reuse_port=args.reuse_port, worker_port=args.worker_port)
    finally:
        # After uvicorn returned (also on Ctrl-C or SIGTERM, which uvicorn turns
        # into a graceful shutdown): the hub has flushed its buffers to Redis.
        # A server reused from another process is left running.
        if embedded is not None:
            embedded.stop()


def _raise_file_limit() -> None:
    """Every websocket is a file descriptor: allow as many as the hard limit."""
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def _exit_on_signal(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)


def _supervise(settings: Settings, embedded: Any) -> int:
    import os

    from server.ops.workers import Supervisor

    base = settings.worker_port_base or settings.port + 1
    if embedded is not None:
        logging.getLogger("xs.redis").info(
            "Redis %s at %s (%s), shared by %d hub processes",
            embedded.version(), settings.redis_url,
            "started, AOF in the data dir" if embedded.owned else "reused", settings.workers,
        )  # fmt: skip
    supervisor = Supervisor(
        host=settings.host,
        port=settings.port,
        worker_ports=[base + i for i in range(settings.workers)],
        # The children read every other setting from the same environment.
        env={**os.environ, "REDIS_URL": settings.redis_url},
        demo=settings.demo,
    )
    return supervisor.run()


def _listen(host: str, port: int, *, reuse_port: bool) -> socket.socket:
    """A bound TCP socket (uvicorn listens on it); SO_REUSEPORT lets the other
    hub processes of ``--workers`` bind the same port."""
    family, kind, proto, _, address = socket.getaddrinfo(
        host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
    )[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if reuse_port:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind(address)
    except OSError:
        sock.close()
        raise
    return sock


def _serve(
    settings: Settings, embedded: Any, *, reuse_port: bool = False, worker_port: int | None = None
) -> int:
    import uvicorn

    from server.live.admission import DeadlineHttpToolsProtocol

    # server.app is imported here, not at the top, so the CLI works without
    # loading (or type-depending on) the web application.
    build_app: Callable[[Settings], Callable[..., Any]] = importlib.import_module(
        "server.app"
    ).build_app
    config = uvicorn.Config(
        app=build_app(settings),
        host=settings.host,
        port=settings.port,
        # Measured: the sans-I/O implementation is the fastest and enforces
        # ws_max_size; permessage-deflate doubled CPU per frame.
        ws="websockets-sansio",
        ws_max_size=settings.ws_max_size,
        ws_per_message_deflate=False,
        ws_ping_interval=settings.ws_ping_interval_s,
        ws_ping_timeout=settings.ws_ping_timeout_s,
        loop="uvloop" if importlib.util.find_spec("uvloop") else "asyncio",
        # uvicorn's httptools protocol plus a deadline for each request and
        # per-address counts of connections that have not finished theirs.
        http=DeadlineHttpToolsProtocol if settings.request_deadline_s > 0 else "httptools",
        lifespan="on",
        # Logging is configured already (cmd_run, server/logging_setup.py):
        # uvicorn only sets its loggers' levels and, with the access log
        # off, detaches uvicorn.access.
        log_config=None,
        access_log=settings.access_log,
        log_level=settings.log_level,
        # X-Forwarded-For only from the reverse proxies named in
        # TRUSTED_PROXIES: from anyone else it would let a client choose the
        # address that per-address limits count.
        proxy_headers=bool(settings.trusted_proxies),
        forwarded_allow_ips=",".join(settings.trusted_proxies) or None,
        timeout_graceful_shutdown=5,
    )
    if embedded is not None:
        logging.getLogger("xs.redis").info(
            "Redis %s at %s (%s)",
            embedded.version(),
            settings.redis_url,
            "started, AOF in the data dir" if embedded.owned else "reused",
        )
    server = uvicorn.Server(config)
    served = _stop_watchdog(server)
    try:
        return _run(server, settings, reuse_port=reuse_port, worker_port=worker_port)
    finally:
        served.set()  # what follows (stopping the embedded Redis) is not watched


def _run(server: Any, settings: Settings, *, reuse_port: bool, worker_port: int | None) -> int:
    if not reuse_port and worker_port is None:
        server.run()
        return 0 if server.started else STARTUP_FAILURE
    # Our own sockets: uvicorn binds without SO_REUSEPORT.
    wanted = [(settings.port, reuse_port)] + ([(worker_port, False)] if worker_port else [])
    sockets: list[socket.socket] = []
    for port, reuse in wanted:
        try:
            sockets.append(_listen(settings.host, port, reuse_port=reuse))
        except OSError as exc:
            logging.getLogger("xs.hub").error("cannot bind %s:%d: %s", settings.host, port, exc)
            for sock in sockets:
                sock.close()
            return STARTUP_FAILURE
    try:
        server.run(sockets=sockets)
    finally:
        for sock in sockets:
            sock.close()
    return 0 if server.started else STARTUP_FAILURE


def _stop_watchdog(server: Any) -> threading.Event:
    """Once uvicorn is asked to stop, the process has ``STOP_DEADLINE_S`` to exit.

    uvicorn's graceful shutdown is bounded (5 s for connections) and so is
    ``Hub.stop``; but a task that swallows its cancellation keeps the event
    loop's final clean-up waiting for ever. Past the deadline this thread logs
    the tasks still pending (what each one awaits) and ends the process: the
    likes and presence are written first thing in ``Hub.stop``, so what is
    left is connections Redis and the clients drop anyway.
    """
    import os

    served = threading.Event()  # set once uvicorn has returned

    def watch() -> None:
        while not server.should_exit:
            if served.wait(0.2):
                return
        if served.wait(STOP_DEADLINE_S):
            return
        try:
            pending = "; ".join(_pending_tasks()) or "none"
            logging.getLogger("xs.hub").error(
                "still running %.0f s after the stop signal; exiting. Pending: %s",
                STOP_DEADLINE_S, pending,
            )  # fmt: skip
            logging.shutdown()
        finally:  # whatever the report did, the process ends
            os._exit(STUCK_AT_STOP)

    threading.Thread(target=watch, name="stop-watchdog", daemon=True).start()
    return served


def _pending_tasks() -> list[str]:
    """Every unfinished asyncio task and the innermost line it waits at."""
    import asyncio
    import gc

    # The lifespan freezes the heap (gc.freeze, server/app.py): the tasks made
    # before it are in no list of the collector's, but in asyncio's own.
    everything = [*getattr(asyncio.tasks, "_all_tasks", ()), *gc.get_objects()]
    tasks = {id(obj): obj for obj in everything if isinstance(obj, asyncio.Task)}
    found: list[str] = []
    for obj in tasks.values():
        if obj.done():
            continue
        where, coro = "?", cast(Any, obj.get_coro())
        while coro is not None:
            frame = getattr(coro, "cr_frame", None) or getattr(coro, "gi_frame", None)
            if frame is not None:
                where = f"{frame.f_code.co_filename}:{frame.f_lineno}"
            coro = getattr(coro, "cr_await", None) or getattr(coro, "gi_yieldfrom", None)
        found.append(f"{obj.get_name()} at {where} (cancelling={obj.cancelling()})")
    return found


def cmd_create_admin(args: argparse.Namespace) -> int:
    from server.ops.bootstrap import create_admin

    settings = Settings.from_env()
    password = create_admin(settings, args.username)
    # The only time the password is shown; it is stored as a hash only.
    print(f"admin {args.username!r} one-time password: {password}")
    return 0
