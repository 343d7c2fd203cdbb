"""The scripts as files: each names its KEYS and ARGV, builds only declared
keys, and is exercised by at least one test of this tier."""

from __future__ import annotations

import inspect
import re
from importlib import resources
from pathlib import Path

import pytest

from server.domain.errors import Code
from server.store import keys, scripts
from tests.store.helpers import RAN, sha_of

LUA = resources.files("server.store") / "lua"
HERE = Path(__file__).parent


def opening_comment(name: str) -> str:
    lines = (LUA / f"{name}.lua").read_text("utf-8").splitlines()
    return "\n".join(line for line in lines[: next(
        (i for i, line in enumerate(lines) if not line.startswith("--")), len(lines)
    )])  # fmt: skip


@pytest.mark.parametrize("name", scripts.names())
def test_every_script_opens_by_naming_its_keys_and_argv(name: str) -> None:
    head = opening_comment(name)
    assert "KEYS:" in head and "ARGV:" in head, f"{name}.lua: name KEYS and ARGV first"
    for included in re.findall(r"^-- include: (\S+)$", head, re.MULTILINE):
        assert (LUA / included).is_file(), f"{name}.lua includes a missing {included}"


def test_the_loader_prepends_each_helper_once() -> None:
    text = scripts.source("ask")
    assert text.count("local function audit_append") == 1
    assert text.index("local AUDIT_MAXLEN") < text.index("local function audit(")
    assert text.endswith((LUA / "ask.lua").read_text("utf-8"))
    assert "_prelude" not in scripts.names() and "ask" in scripts.names()


def declared_suffixes() -> set[str]:
    """What keys.py's per-broadcast builders append to the prefix: ``q:`` for
    ``question(bid, 7)``, ``likes`` for ``likes(bid)``."""
    prefix = keys.prefix("b")
    found: set[str] = set()
    for name, fn in inspect.getmembers(keys, inspect.isfunction):
        params = list(inspect.signature(fn).parameters)
        if not params or params[0] != "bid" or name == "prefix":
            continue
        key = fn("b", *["7"] * (len(params) - 1))
        rest = key.removeprefix(prefix)
        found.add(rest[:-1] if rest.endswith(":7") else rest)
        if rest.endswith(":7"):
            found.add(rest[:-1])
    return found


def test_every_key_a_script_builds_is_declared_in_keys_py() -> None:
    declared = declared_suffixes()
    for file in sorted(LUA.iterdir(), key=lambda f: f.name):
        if not file.name.endswith(".lua"):
            continue
        built = set(re.findall(r"P \.\. '([a-z_:]+)'", file.read_text("utf-8")))
        # qs:<status> is by_status(bid, status): 'qs:merged' is declared as 'qs:'.
        missing = {s for s in built if s not in declared and s.split(":")[0] + ":" not in declared}
        assert not missing, f"{file.name} builds keys keys.py does not declare: {missing}"


def test_every_script_is_exercised_by_a_store_test(request: pytest.FixtureRequest) -> None:
    # Runs last (tests/store/conftest.py): RAN holds what the tier's tests ran.
    modules = {Path(str(item.fspath)).name for item in request.session.items}
    tier = {p.name for p in HERE.glob("test_*.py")}
    assert tier <= modules, (
        f"run the whole tests/store tier to check script coverage; missing {tier - modules}"
    )
    # A script runs with its own includes, or through scripts.load() with the prelude first.
    unexercised = [
        n
        for n in scripts.names()
        if not {sha_of(scripts.source(n)), sha_of(scripts.source(n, ("_prelude.lua",)))} & RAN
    ]
    assert unexercised == [], f"scripts without a store test: {unexercised}"


def test_every_code_a_script_refuses_with_is_a_code_member() -> None:
    # raise_for turns the script's code into the enum: an unknown one would crash there.
    found: set[str] = set()
    for file in LUA.iterdir():
        if file.name.endswith(".lua"):
            found |= set(re.findall(r"err\('([a-z_]+)'", file.read_text("utf-8")))
    assert found and found <= {c.value for c in Code}, found - {c.value for c in Code}
