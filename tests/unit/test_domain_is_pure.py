"""The domain core must stay free of I/O: it imports none of these."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

DOMAIN = Path(__file__).resolve().parents[2] / "server" / "domain"
FORBIDDEN = frozenset(
    {
        "asyncio",
        "redis",
        "starlette",
        "uvicorn",
        "websockets",
        "orjson",
        "socket",
        "time",
        "os",
        "random",
    }
)


def imported_roots(source: str) -> set[str]:
    roots: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            roots.add(node.module.split(".")[0])
    return roots


def test_domain_modules_exist() -> None:
    assert len(list(DOMAIN.glob("*.py"))) >= 10


@pytest.mark.parametrize("path", sorted(DOMAIN.glob("*.py")), ids=lambda p: p.name)
def test_module_imports_nothing_impure(path: Path) -> None:
    found = imported_roots(path.read_text(encoding="utf-8")) & FORBIDDEN
    assert not found, f"{path.name} imports {sorted(found)}"


@pytest.mark.parametrize(
    "source",
    ["import asyncio", "import os.path", "from time import monotonic", "import redis.asyncio as r"],
)
def test_checker_catches_forbidden_imports(source: str) -> None:
    assert imported_roots(source) & FORBIDDEN
