"""Every key the hub names carries a hash tag (docs/architecture.md, "Redis
Cluster"): a key without one hashes by its whole name, so a script naming it
with any other key would touch two slots. Every constant and every key
builder of ``server/store/keys.py`` is checked, so a new key cannot forget it."""

from __future__ import annotations

import inspect
import re

import pytest

from server.store import keys

TAGGED = re.compile(r"^xs:\{[^{}]+\}:")


def _names() -> list[str]:
    return [n for n in dir(keys) if not n.startswith("_") and n != "annotations"]


def _built(name: str) -> str:
    value = getattr(keys, name)
    if isinstance(value, str):
        return value
    params = inspect.signature(value).parameters.values()
    args = [1 if p.annotation in (int, "int") else "x" for p in params]
    built = value(*args)
    assert isinstance(built, str)
    return built


@pytest.mark.parametrize("name", [n for n in _names() if isinstance(getattr(keys, n), str)
                                  or inspect.isfunction(getattr(keys, n))])  # fmt: skip
def test_every_key_has_a_hash_tag(name: str) -> None:
    assert TAGGED.match(_built(name)), f"keys.{name} = {_built(name)!r} has no hash tag"


def test_the_deployment_wide_keys_share_one_slot() -> None:
    """Their scripts write the deployment audit log with them, in one step."""
    tag = "{dep}"
    for key in (keys.BROADCASTS, keys.join("C"), keys.SECRET, keys.moderator("u"),
                keys.MODERATORS, keys.OFFICIALS, keys.session("d"), keys.user_sessions("u"),
                keys.login_failures("u"), keys.login_failures_from("h"), keys.AUDIT,
                keys.WORDS, keys.WORDS_VERSION, keys.HOOKS, keys.hook_delivery("d")):  # fmt: skip
        assert key.startswith("xs:" + tag + ":"), key
