"""The login page's "already signed in?" probe in a real chromium: signed out,
a visit logs nothing at all in the browser's console (no 401 from the probe);
signed in, it goes straight on to the console."""

from __future__ import annotations

import re

import httpx
import pytest

from tests.integration.harness import HubProcess, new_moderator

with __import__("contextlib").suppress(ImportError):
    from playwright.async_api import Browser, expect

pytestmark = [pytest.mark.anyio, pytest.mark.browser]
WAIT_MS = 8000


async def test_login_probe_logs_no_error_when_signed_out(
    hub: HubProcess, browser: Browser, redis_url: str
) -> None:
    context = await browser.new_context(locale="zh-CN")
    page = await context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    probes: list[int] = []
    page.on("response", lambda r: probes.append(r.status) if "/api/me" in r.url else None)
    await page.goto(f"{hub.base}/login")
    await page.wait_for_load_state("networkidle")
    assert probes == [200] and errors == [], (probes, errors)
    await expect(page.locator("#login-form")).to_be_visible()
    await context.close()

    # The probe's answer, and the plain /api/me that stays a 401 for scripts.
    async with httpx.AsyncClient(base_url=hub.base) as http:
        optional = await http.get("/api/me?optional=1")
        assert (optional.status_code, optional.json()) == (200, {"user": None})
        assert (await http.get("/api/me")).status_code == 401

    # Signed in: /login goes on to the console.
    mod = await new_moderator(redis_url, hub.base)
    context = await browser.new_context(locale="zh-CN")
    await context.add_cookies(
        [{"name": "xs_sess", "value": mod.cookies["xs_sess"], "url": hub.base}]
    )
    page = await context.new_page()
    await page.goto(f"{hub.base}/login")
    await expect(page).to_have_url(re.compile(r"/console$"), timeout=WAIT_MS)
    await context.close()


async def test_a_one_time_password_is_replaced_at_the_first_sign_in(
    hub: HubProcess, browser: Browser, redis_url: str
) -> None:
    admin = await new_moderator(redis_url, hub.base)
    name, first = "o" + __import__("secrets").token_hex(4), "one-time-pw-123"
    async with admin.http() as http:
        r = await http.post("/api/moderators", json={"username": name, "password": first})
        assert r.status_code == 201, r.text
    context = await browser.new_context(locale="zh-CN")
    page = await context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    await page.goto(f"{hub.base}/login?next=/console")
    await page.get_by_label("用户名").fill(name)
    await page.get_by_label("密码", exact=True).fill(first)
    await page.get_by_role("button", name="登录").click()
    change = page.locator("#change-form")
    await expect(change).to_be_visible(timeout=WAIT_MS)
    await expect(change).to_contain_text("一次性密码")
    await page.get_by_label("新密码", exact=True).fill("my-own-password-1")
    await page.get_by_label("再输入一次新密码").fill("my-own-password-2")
    await page.get_by_role("button", name="设置新密码并进入").click()
    await expect(page.locator("#change-msg")).to_have_text("两次输入的新密码不一致")
    await page.get_by_label("再输入一次新密码").fill("my-own-password-1")
    await page.get_by_role("button", name="设置新密码并进入").click()
    await expect(page).to_have_url(re.compile(r"/console$"), timeout=WAIT_MS)
    await expect(page.locator("#me-user")).to_have_text(name, timeout=WAIT_MS)
    assert errors == []
    await context.close()
