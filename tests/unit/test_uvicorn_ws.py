"""The uvicorn adapter refuses what it does not know, and falls back where it must."""

from __future__ import annotations

from typing import Any

import pytest

from server.live import uvicorn_ws


def test_the_installed_uvicorn_is_supported() -> None:
    uvicorn_ws.check()


def test_a_protocol_without_a_member_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    class Renamed:
        def __init__(self) -> None:
            self.transport = self.conn = self.queue = self.loop = None
            self.close_sent = self.disconnected = self.read_paused = False
            self.close_timer = self.close_timeout = None
            self.can_write = None  # was "writable"

        async def send(self, message: Any) -> None:
            pass

    monkeypatch.setattr(uvicorn_ws, "_protocol_class", lambda: Renamed)
    with pytest.raises(uvicorn_ws.UnsupportedServer, match="writable"):
        uvicorn_ws.check()


def test_a_send_not_served_by_uvicorn_gets_no_wire() -> None:
    async def send(message: Any) -> None:
        pass

    class Other:
        async def send(self, message: Any) -> None:
            pass

    assert uvicorn_ws.Wire.attach(send, high_water=1) is None
    assert uvicorn_ws.Wire.attach(Other().send, high_water=1) is None
    assert uvicorn_ws.Wire.attach(None, high_water=1) is None
