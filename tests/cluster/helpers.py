"""What the cluster tests share besides their fixtures."""

from __future__ import annotations

from server.client import HubClient
from tests.integration import harness
from tests.integration.hub_helpers import Clients


async def connected_viewer(clients: Clients, base: str, bid: str) -> HubClient:
    """A viewer with a cookie minted by that hub process, connected."""
    client = clients.add(await harness.viewer(base, bid))
    await client.connect()
    return client
