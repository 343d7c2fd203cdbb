"""The join page: ``/`` takes a typed code, ``/j`` resolves it, an unknown code says so.

Real uvicorn and redis-server (the module's ``hub``). The page's script is
checked in tests/browser/test_join.py; here the routes: what is served with
which status, and where a code leads.
"""

from __future__ import annotations

import httpx
import pytest

from tests.integration.harness import HubProcess, Moderator

pytestmark = pytest.mark.anyio


async def test_the_join_page_is_served_at_the_root(hub: HubProcess) -> None:
    async with httpx.AsyncClient(base_url=hub.base) as http:
        r = await http.get("/")
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("text/html")
        assert "script-src 'self'" in r.headers["content-security-policy"]
        assert 'action="/j"' in r.text and 'name="code"' in r.text
        assert (await http.head("/")).status_code == 200
        # No viewer id is minted for the join page: it is not a broadcast yet.
        assert "xs_vid" not in r.cookies


async def test_a_typed_code_leads_to_its_broadcast(hub: HubProcess, mod: Moderator) -> None:
    created = await mod.create_broadcast(title="加入码")
    bid, code = created["id"], created["join"]
    typed = f" {code[:3].lower()} - {code[3:].lower()} "  # read off a television picture
    async with httpx.AsyncClient(base_url=hub.base) as http:
        for r in (
            await http.get("/j", params={"code": typed}),
            await http.get(f"/j/{code.lower()}"),
            await http.get(f"/j/{code}"),
        ):
            assert r.status_code == 302, r.text
            assert r.headers["location"] == f"/b/{bid}"


async def test_an_unknown_code_gets_the_join_page_with_404(hub: HubProcess) -> None:
    async with httpx.AsyncClient(base_url=hub.base) as http:
        for r in (
            await http.get("/j", params={"code": "ZZZZZZ"}),
            await http.get("/j/ZZZZZZ"),
            await http.get("/j/" + "x" * 500),
            await http.get("/j", params={"code": "<script>alert(1)</script>"}),
        ):
            assert r.status_code == 404
            assert 'id="join-form"' in r.text
            assert "<script>alert" not in r.text, "what was typed is never echoed into HTML"


async def test_an_empty_code_goes_back_to_the_join_page(hub: HubProcess) -> None:
    async with httpx.AsyncClient(base_url=hub.base) as http:
        for path in ("/j", "/j/", "/j?code=", "/j?code=%20-%20"):
            r = await http.get(path)
            assert r.status_code == 302, path
            assert r.headers["location"] == "/"
