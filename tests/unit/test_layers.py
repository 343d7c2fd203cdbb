"""The folders are the architecture: imports only point down, and never in a circle.

Layers, lowest first (docs/architecture.md draws the same map):

    base     server.settings, protocol, auth, metrics, logging_filters, logging_setup,
             timezones
    domain   server.domain.*   (pure: tests/unit/test_domain_is_pure.py)
    store    server.store.*    (the only package that talks to Redis)
    live     server.live.*     (websockets, hub, channels, fan-out, likes, words)
    client   server.client.*   (the Python protocol client; nothing in server uses it)
    ops      server.ops.*      (embedded Redis, bootstrap, rehearsal)
    web      server.web.*      (HTTP routes and pages)
    app      server.app, server.cli, server.__main__   (composition root),
             server.contract   (generates the browser's contract.js from every layer)

A module may import its own layer and any lower one. Imports under
``if TYPE_CHECKING:`` count too: a type-only upward import is still a design
that points upward.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SERVER = ROOT / "server"

BASE = {
    "settings",
    "protocol",
    "auth",
    "metrics",
    "logging_filters",
    "logging_setup",
    "timezones",
}
RANKS = {"base": 0, "domain": 1, "store": 2, "live": 3, "client": 3, "ops": 4, "web": 5, "app": 6}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def layer(module: str) -> str:
    parts = module.split(".")
    if parts[0] != "server":
        raise ValueError(module)
    if len(parts) == 1:
        return "app"  # server/__init__.py holds nothing
    head = parts[1]
    if head in BASE:
        return "base"
    if head in ("domain", "store", "live", "client", "ops", "web"):
        return head
    if head in ("app", "cli", "__main__", "contract"):
        return "app"
    raise AssertionError(f"{module}: no layer; add it to tests/unit/test_layers.py and the map")


def imports_of(path: Path, *, runtime_only: bool) -> set[str]:
    """The ``server.*`` modules one file imports (``from server import x`` names x)."""
    tree = ast.parse(path.read_text("utf-8"))
    type_only: set[int] = set()
    if runtime_only:
        for node in ast.walk(tree):
            if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
                for inner in ast.walk(node):
                    type_only.add(id(inner))
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in type_only:
            continue
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.split(".")[0] == "server")
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module.split(".")[0] != "server":
                continue
            for alias in node.names:
                candidate = f"{node.module}.{alias.name}"
                as_module = SERVER.parent / (candidate.replace(".", "/") + ".py")
                as_package = SERVER.parent / candidate.replace(".", "/") / "__init__.py"
                found.add(candidate if as_module.exists() or as_package.exists() else node.module)
        elif isinstance(node, ast.ImportFrom) and node.level:
            package = module_name(path).split(".")
            if path.name != "__init__.py":
                package.pop()
            base = package[: len(package) - (node.level - 1)]
            target = ".".join([*base, node.module] if node.module else base)
            found.add(target)
    return found


SOURCES = sorted(SERVER.rglob("*.py"))


def test_every_module_has_a_layer() -> None:
    for path in SOURCES:
        layer(module_name(path))


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(ROOT)))
def test_imports_point_down(path: Path) -> None:
    me = module_name(path)
    mine = RANKS[layer(me)]
    upward = [
        target
        for target in sorted(imports_of(path, runtime_only=False))
        if RANKS[layer(target)] > mine
    ]
    assert not upward, f"{me} ({layer(me)}) imports a higher layer: {upward}"


def test_nothing_in_server_uses_the_client() -> None:
    users = [
        module_name(path)
        for path in SOURCES
        if layer(module_name(path)) != "client"
        and any(layer(t) == "client" for t in imports_of(path, runtime_only=False))
    ]
    assert not users, f"the Python client is for tests and the load generator: {users}"


def test_no_import_cycle() -> None:
    # Type-only imports count: a circle that exists only for the type checker
    # is still two modules that cannot be understood one without the other.
    graph = {module_name(p): imports_of(p, runtime_only=False) for p in SOURCES}
    known = set(graph)
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    path: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        path.append(node)
        for target in sorted(graph.get(node, ())):
            if target not in known:
                continue
            if state.get(target) == 1:
                cycle = [*path[path.index(target) :], target]
                raise AssertionError("import cycle: " + " -> ".join(cycle))
            if target not in state:
                visit(target)
        path.pop()
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node)


def test_the_checker_sees_an_upward_import(tmp_path: Path) -> None:
    # The checks above must be able to fail: a store module importing the live path.
    probe = SERVER / "store" / "keys.py"
    tree_imports = imports_of(probe, runtime_only=False)
    assert all(RANKS[layer(t)] <= RANKS["store"] for t in tree_imports)
    fake = tmp_path / "probe.py"
    fake.write_text("from server.live.hub import Hub\nfrom server import protocol\n")
    assert imports_of(fake, runtime_only=False) == {"server.live.hub", "server.protocol"}
    assert RANKS[layer("server.live.hub")] > RANKS["store"]
