"""deploy/nginx.conf in front of ``run --workers 2``, all on loopback: the file
the docs ship passes ``nginx -t``, proxies websockets and HTTP to both hub
processes without stickiness, and cuts off a slow handshake
(docs/deploy.md, "Several hub processes behind nginx").

Only what a test on one machine must change is changed: the listen address,
the upstream's host names (compose service names) for the processes' own
ports, and the paths of the pid file, the logs and the temp dirs. Needs
Debian's nginx (``make system-deps`` installs ``nginx-light``); without it
these tests skip, as the browser tests do without chromium.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from server.client import HubClient
from tests.integration import harness
from tests.integration.hub_helpers import Clients, caught_up, ok
from tests.integration.workers_harness import Workers, free_ports, workers_in

# Debian installs it in /usr/sbin, which a user's PATH may not hold.
NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)

pytestmark = [
    pytest.mark.anyio,
    pytest.mark.skipif(NGINX is None, reason="nginx not installed (make system-deps)"),
]

ROOT = Path(__file__).resolve().parents[2]
CONF = ROOT / "deploy" / "nginx.conf"


def render(conf: str, listen: int, upstreams: list[int], prefix: Path) -> str:
    """deploy/nginx.conf for loopback: what a test machine needs changed, only."""
    servers = re.findall(r"^\s*server hub-\d+:8000[^;]*;$", conf, re.MULTILINE)
    assert len(servers) == 3, servers  # the compose file's three hubs
    lines = [f"        server 127.0.0.1:{port} max_fails=1 fail_timeout=10s;" for port in upstreams]
    first = conf.index(servers[0])
    last = conf.index(servers[-1]) + len(servers[-1])
    conf = conf[:first] + "\n".join(lines) + conf[last:]
    assert conf.count("listen 80;") == 1
    conf = conf.replace("listen 80;", f"listen 127.0.0.1:{listen};")
    paths = "\n".join(f"    {name}_temp_path {prefix / name};" for name in ("client_body", "proxy"))
    conf = conf.replace("http {\n", f"http {{\n    access_log off;\n{paths}\n", 1)
    return (
        f"daemon off;\npid {prefix / 'nginx.pid'};\nerror_log {prefix / 'error.log'} warn;\n" + conf
    )


@contextlib.contextmanager
def nginx(conf_text: str, prefix: Path, port: int) -> Iterator[subprocess.Popen[bytes]]:
    conf = prefix / "nginx.conf"
    conf.write_text(conf_text)
    checked = subprocess.run(
        [str(NGINX), "-t", "-p", str(prefix), "-c", str(conf)], capture_output=True, text=True
    )
    assert checked.returncode == 0, checked.stderr
    proc = subprocess.Popen([str(NGINX), "-p", str(prefix), "-c", str(conf)], cwd=prefix)
    try:
        deadline = time.monotonic() + 10
        while True:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1):
                break
            assert proc.poll() is None, (prefix / "error.log").read_text()
            assert time.monotonic() < deadline, "nginx did not listen"
            time.sleep(0.05)
        yield proc
    finally:
        proc.send_signal(signal.SIGTERM)  # fast shutdown of master and workers
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


def _viewers(metrics: str) -> float:
    found = re.search(r'^xs_connections\{role="viewer"\} (\S+)$', metrics, re.MULTILINE)
    return float(found.group(1)) if found else 0.0


@pytest.fixture
def behind_nginx(tmp_path: Path) -> Iterator[tuple[Workers, str]]:
    listen, _ = free_ports(1)
    base = f"http://127.0.0.1:{listen}"
    data, prefix = tmp_path / "data", tmp_path / "nginx"
    data.mkdir()
    prefix.mkdir()
    # nginx connects from 127.0.0.1: its X-Forwarded-For is believed.
    with workers_in(data, ALLOWED_ORIGINS=base, TRUSTED_PROXIES="127.0.0.1") as workers:
        workers.start()
        conf = render(CONF.read_text(), listen, [workers.worker_base + i for i in range(2)], prefix)
        with nginx(conf, prefix, listen):
            yield workers, base


def test_the_shipped_config_passes_nginx_t(tmp_path: Path) -> None:
    conf = tmp_path / "nginx.conf"
    conf.write_text(render(CONF.read_text(), free_ports(1)[0], [8000, 8001], tmp_path))
    checked = subprocess.run(
        [str(NGINX), "-t", "-p", str(tmp_path), "-c", str(conf)], capture_output=True, text=True
    )
    assert checked.returncode == 0, checked.stderr
    assert "syntax is ok" in checked.stderr


async def test_websockets_and_http_through_nginx_reach_both_processes(
    behind_nginx: tuple[Workers, str], clients: Clients
) -> None:
    workers, base = behind_nginx
    pids = {p["pid"] for p in await workers.processes()}
    workers.seen.extend(pids)
    # HTTP: round robin over the two processes, no stickiness.
    answered = set()
    async with httpx.AsyncClient(base_url=base, timeout=5) as http:
        for _ in range(6):
            answered.add((await http.get("/readyz")).json()["process"]["pid"])
    assert answered == pids

    # Websockets through the proxy (Upgrade and Connection passed on), on
    # both processes: one asks, the other hears it once approved.
    mod = await harness.new_moderator(workers.redis_url, base)
    bid = (await mod.create_broadcast(settings={"moderation": True}))["id"]
    console = clients.add(mod.client(bid, base=base))
    await console.connect()
    # Round robin counts every request (the viewer-id GET before each socket
    # too), per nginx worker: open sockets until both processes hold some.
    viewers: list[HubClient] = []
    per_process = [0.0, 0.0]
    while len(viewers) < 20 and not (len(viewers) >= 4 and all(per_process)):
        viewer = clients.add(await harness.viewer(base, bid))
        await viewer.connect()
        viewers.append(viewer)
        async with httpx.AsyncClient(timeout=5) as http:
            # One request more through nginx every other socket: the next
            # viewer's requests pair up the other way round.
            if len(viewers) % 2:
                await http.get(base + "/healthz")
            texts = [(await http.get(url + "/metrics")).text for url in workers.worker_urls]
        per_process = [_viewers(text) for text in texts]
    assert sum(per_process) == len(viewers) and all(per_process), per_process
    asked = ok(await viewers[0].command("ask", text="经过代理也能提问吗？"))
    approved = ok(await console.command("q.status", qid=asked["qid"], status="approved",
                                        expect="pending"))  # fmt: skip
    for viewer in viewers:
        seen = await caught_up(viewer, approved["pos"])
        assert seen.questions[asked["qid"]]["text"] == "经过代理也能提问吗？"


async def test_nginx_cuts_off_a_slow_handshake(behind_nginx: tuple[Workers, str]) -> None:
    """A websocket upgrade whose head never ends is closed by nginx
    (client_header_timeout 5s) without reaching a hub process."""
    _, base = behind_nginx
    port = int(base.rsplit(":", 1)[1])
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(b"GET /ws/x HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n")
        await writer.drain()
        # nginx answers 408 or just closes; either way the read ends (the
        # bound is generous: a loaded machine, not a timing claim).
        rest = await asyncio.wait_for(reader.read(), timeout=30)
        assert rest == b"" or rest.startswith(b"HTTP/1.1 408"), rest[:80]
    finally:
        writer.close()
