"""Fixtures of the integration tests: real hub processes on the test Redis."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from tests.integration.harness import HubProcess, Moderator, new_moderator


@pytest.fixture(scope="module")
def hub(redis_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[HubProcess]:
    """One hub process shared by a test module."""
    process = HubProcess(redis_url, tmp_path_factory.mktemp("hub")).start()
    try:
        yield process
    finally:
        process.stop()


@pytest.fixture
async def mod(hub: HubProcess, redis_url: str) -> AsyncIterator[Moderator]:
    yield await new_moderator(redis_url, hub.base)
