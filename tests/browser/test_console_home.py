"""The login page (/login) and the console home (/console) in a real chromium.

One hub process for the module; every test makes its own accounts and
broadcasts (random names), so the tests do not depend on each other. Pages
log in through the form where logging in is what is tested, and otherwise get
the session cookie of a ``Moderator`` from the integration harness. Waits are
Playwright's ``expect`` (polling the DOM), never sleeps.
"""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import AsyncIterator, Iterator
from datetime import datetime
from typing import Any

import httpx
import pytest
import redis.asyncio as aioredis
from playwright.async_api import Browser, BrowserContext, Page, Route, expect

from server.ops.embedded_redis import EmbeddedRedis
from server.settings import Settings
from server.store.accounts import Accounts
from tests.browser.conftest import docs_image
from tests.browser.watch import Watched
from tests.integration.harness import HubProcess, Moderator, new_moderator

pytestmark = [pytest.mark.anyio, pytest.mark.browser]

WAIT_MS = 8000
# Failed logins are counted per address (127.0.0.1 for every test) in Redis,
# shared with the rest of the suite: this hub's own threshold is raised so the
# few wrong passwords typed here, or elsewhere, never lock these tests out.
HUB_ENV = {"LOGIN_FAILURES_MAX": "1000"}
LAPTOP = {"viewport": {"width": 1440, "height": 900}, "locale": "zh-CN"}
QR_LOADED = "() => { const i = document.getElementById('detail-qr'); return i.naturalWidth > 0 }"
# XS_SHOTS=/some/dir also saves full-page pictures there (laptop and tablet) to look at.
SHOTS_TO = os.environ.get("XS_SHOTS", "")
TABLET = {"viewport": {"width": 820, "height": 1180}, "locale": "zh-CN", "has_touch": True}


@pytest.fixture(scope="module")
def hub(redis_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[HubProcess]:
    process = HubProcess(redis_url, tmp_path_factory.mktemp("hub"), **HUB_ENV).start()
    try:
        yield process
    finally:
        process.stop()


@pytest.fixture(scope="module")
async def admin(hub: HubProcess, redis_url: str) -> AsyncIterator[Moderator]:
    yield await new_moderator(redis_url, hub.base, admin=True)


@pytest.fixture
async def moderator(hub: HubProcess, redis_url: str) -> AsyncIterator[Moderator]:
    """An ordinary (non-admin) moderator of this test's own."""
    yield await new_moderator(redis_url, hub.base, admin=False)


async def new_page(
    browser: Browser, hub: HubProcess, as_: Moderator | None = None, **options: Any
) -> tuple[BrowserContext, Watched]:
    context = await browser.new_context(**{**LAPTOP, **options})
    if as_ is not None:
        await context.add_cookies(
            [{"name": "xs_sess", "value": as_.cookies["xs_sess"], "url": hub.base}]
        )
    return context, Watched(await context.new_page())


async def open_home(
    browser: Browser, hub: HubProcess, as_: Moderator, **options: Any
) -> tuple[BrowserContext, Watched]:
    context, w = await new_page(browser, hub, as_, **options)
    await w.page.goto(f"{hub.base}/console")
    await expect(w.page.locator("#me-user")).to_have_text(as_.user, timeout=WAIT_MS)
    return context, w


async def login_form(page: Page, user: str, password: str) -> None:
    await page.get_by_label("用户名").fill(user)
    await page.get_by_label("密码", exact=True).fill(password)
    await page.get_by_role("button", name="登录").click()


def row(page: Page, bid: str) -> Any:
    return page.locator(f'#bc-list tr[data-bid="{bid}"]')


def account_row(page: Page, user: str) -> Any:
    return page.locator(f'#acc-list tr[data-user="{user}"]')


async def api_status(hub: HubProcess, cookies: dict[str, str], path: str = "/api/me") -> int:
    async with httpx.AsyncClient(base_url=hub.base, cookies=cookies) as http:
        return (await http.get(path)).status_code


async def api_login(hub: HubProcess, user: str, password: str) -> int:
    async with httpx.AsyncClient(base_url=hub.base) as http:
        r = await http.post("/api/login", json={"username": user, "password": password})
        return r.status_code


# --- the pages over HTTP -------------------------------------------------------------------


async def test_pages_are_static_and_csp_clean(hub: HubProcess, admin: Moderator) -> None:
    async with httpx.AsyncClient(base_url=hub.base) as http, admin.http() as signed_in:
        login = await http.get("/login")
        assert login.status_code == 200
        for page in (login, await signed_in.get("/console")):
            assert page.status_code == 200
            csp = page.headers["content-security-policy"]
            assert "script-src 'self'" in csp and "unsafe-inline" not in csp
            assert not re.search(r"<script(?![^>]*\bsrc=)", page.text), "no inline script"
            assert " style=" not in page.text and "<style" not in page.text, "no inline style"
        away = await http.get("/console")
        assert away.status_code == 303 and away.headers["location"] == "/login?next=/console"


# --- login ----------------------------------------------------------------------------------


async def test_login_wrong_password_then_right(
    browser: Browser, hub: HubProcess, moderator: Moderator
) -> None:
    context, w = await new_page(browser, hub)
    page = w.page
    await page.goto(f"{hub.base}/login")
    await expect(page.get_by_label("用户名")).to_be_focused()
    await login_form(page, moderator.user, "not-the-password")
    msg = page.locator("#login-msg")
    await expect(msg).to_have_text("用户名或密码不正确", timeout=WAIT_MS)
    await expect(msg).to_have_attribute("role", "status")
    await expect(page.locator("#password")).to_have_attribute("aria-invalid", "true")
    await expect(page.locator("#password")).to_be_focused()
    assert page.url == f"{hub.base}/login"

    await page.locator("#password").fill(moderator.password)
    await page.keyboard.press("Enter")
    await page.wait_for_url(f"{hub.base}/console", timeout=WAIT_MS)
    await expect(page.locator("#me-user")).to_have_text(moderator.user, timeout=WAIT_MS)
    w.check()
    await context.close()


async def test_login_throttled_says_how_long(browser: Browser, hub: HubProcess) -> None:
    # A real lockout would lock 127.0.0.1 out for the whole suite for 15 minutes
    # (the counters live in the shared Redis): the hub's 429 is played back instead.
    context, w = await new_page(browser, hub)
    page = w.page

    async def throttled(route: Route) -> None:
        await route.fulfill(
            status=429, headers={"Retry-After": "540", "Content-Type": "application/json"},
            body='{"error":"rate_limited","message":"too many failed logins; retry in 540 s"}',
        )  # fmt: skip

    await page.route("**/api/login", throttled)
    await page.goto(f"{hub.base}/login")
    await login_form(page, "someone", "whatever-password")
    await expect(page.locator("#login-msg")).to_have_text(
        "登录失败次数过多，请 9 分钟后再试", timeout=WAIT_MS
    )
    await page.get_by_role("button", name="English").click()
    await expect(page.locator("#login-msg")).to_have_text(
        "Too many failed sign-ins. Please try again in 9 min."
    )
    await expect(page.locator("html")).to_have_attribute("lang", "en")
    w.check()
    await context.close()


async def test_console_without_session_goes_to_login_and_back(
    browser: Browser, hub: HubProcess, moderator: Moderator
) -> None:
    context, w = await new_page(browser, hub)
    page = w.page
    await page.goto(f"{hub.base}/console")
    await page.wait_for_url(re.compile(r"/login\?next=/console$"))
    await expect(page.locator("#login-notice")).to_be_visible()
    await login_form(page, moderator.user, moderator.password)
    await page.wait_for_url(f"{hub.base}/console", timeout=WAIT_MS)
    await expect(page.locator("#me-user")).to_have_text(moderator.user, timeout=WAIT_MS)
    # Signed in, /login goes straight on.
    await page.goto(f"{hub.base}/login?next=/console%3Fx%3D1")
    await page.wait_for_url(f"{hub.base}/console?x=1", timeout=WAIT_MS)
    w.check()
    await context.close()


@pytest.mark.parametrize(
    "evil",
    [
        "//evil.example/x",
        "https://evil.example/",
        "/\\evil.example",
        "javascript:alert(1)",
        "/\t/evil.example",
    ],
)
async def test_login_never_redirects_off_site(
    browser: Browser, hub: HubProcess, moderator: Moderator, evil: str
) -> None:
    context, w = await new_page(browser, hub)
    page = w.page
    await page.goto(f"{hub.base}/login?" + str(httpx.QueryParams({"next": evil})))
    await login_form(page, moderator.user, moderator.password)
    await page.wait_for_url(re.compile(r"/console"), timeout=WAIT_MS)
    assert page.url.startswith(hub.base + "/console"), page.url
    w.check()
    await context.close()


# --- broadcasts ------------------------------------------------------------------------------


async def test_create_broadcast_from_the_form(
    browser: Browser, hub: HubProcess, admin: Moderator
) -> None:
    context, w = await open_home(browser, hub, admin)
    await context.grant_permissions(["clipboard-read", "clipboard-write"], origin=hub.base)
    page = w.page
    bid = "u1-" + secrets.token_hex(4)
    await page.get_by_role("button", name="新建直播").click()
    await expect(page.locator("#bc-title")).to_be_focused()
    await page.locator("#bc-title").fill("城市更新议事会 · 老旧小区加装电梯")
    await page.get_by_label("议题简介").fill("居民、物业与街道一起商量加装电梯的费用分摊")
    await page.get_by_label("计划开始时间").fill("2031-05-20T19:30")
    await page.get_by_label("提问先审核后公开").uncheck()
    await page.get_by_label("公开显示提问者称呼").uncheck()
    await page.get_by_label("提问字数上限").fill("200")
    await page.get_by_label("区域 / 领域标签").fill("东城区，西城区、交通")
    await page.get_by_label("直播 ID（可选）").fill(bid)
    await page.get_by_role("button", name="创建直播").click()

    await expect(row(page, bid)).to_contain_text("城市更新议事会", timeout=WAIT_MS)
    await expect(row(page, bid)).to_contain_text("草稿")
    await expect(row(page, bid)).to_contain_text("2031/05/20 19:30")
    await expect(row(page, bid)).to_have_attribute("aria-current", "true")
    await expect(page.locator("#detail-h")).to_have_text("城市更新议事会 · 老旧小区加装电梯")
    await expect(page.locator("#detail-h")).to_be_focused()

    async with admin.http() as http:
        stored = (await http.get(f"/api/broadcasts/{bid}")).json()
    assert stored["settings"] == {
        "moderation": False,
        "max_len": 200,
        "tags": ["东城区", "西城区", "交通"],
        "show_names": False,
    }
    assert stored["scheduled"] == int(datetime(2031, 5, 20, 19, 30).timestamp() * 1000)

    qr = page.locator("#detail-qr")
    await expect(qr).to_be_visible()
    await expect(qr).to_have_attribute("src", f"/qr/{bid}.svg")
    await page.wait_for_function(QR_LOADED)
    await expect(page.locator("#detail-join")).to_have_text(stored["join"])
    links = stored["links"]
    await expect(page.get_by_label("观众页面", exact=True)).to_have_value(links["viewer"])
    await expect(page.get_by_label("短链接", exact=True)).to_have_value(links["join"])
    overlay = page.get_by_label("全部组件（推荐）", exact=True)
    await expect(overlay).to_have_value(links["overlay"])
    await page.get_by_role("button", name="复制全部组件（推荐）").click()
    assert await page.evaluate("navigator.clipboard.readText()") == links["overlay"]
    await expect(page.get_by_role("button", name="复制全部组件（推荐）")).to_have_text("已复制")
    await page.get_by_text("单独的组件地址").click()
    question = f"{hub.base}/overlay/{bid}/question?key={stored['overlay_key']}"
    await expect(page.get_by_label("当前问题（下方字幕条）", exact=True)).to_have_value(question)
    console = page.locator("#detail-console")
    await expect(console).to_have_attribute("href", f"/console/{bid}")
    await expect(row(page, bid).get_by_role("link", name=re.compile("控制台"))).to_have_attribute(
        "href", f"/console/{bid}"
    )

    # The same id again: the form says so, on the id field.
    await page.get_by_role("button", name="新建直播").click()
    await page.locator("#bc-title").fill("重复的")
    await page.get_by_label("直播 ID（可选）").fill(bid)
    await page.get_by_role("button", name="创建直播").click()
    await expect(page.locator("#create-msg")).to_have_text(
        "这个直播 ID 已被使用，请换一个或留空", timeout=WAIT_MS
    )
    await expect(page.get_by_label("直播 ID（可选）")).to_have_attribute("aria-invalid", "true")
    # Checked in the page before sending: a missing title.
    await page.locator("#bc-title").fill("")
    await page.get_by_role("button", name="创建直播").click()
    await expect(page.locator("#create-msg")).to_have_text("请填写标题")
    await expect(page.locator("#bc-title")).to_be_focused()
    w.check()
    await context.close()


async def test_links_of_an_existing_broadcast(
    browser: Browser, hub: HubProcess, admin: Moderator
) -> None:
    created = await admin.create_broadcast(title="已有的直播 " + secrets.token_hex(3))
    bid = created["id"]
    context, w = await open_home(browser, hub, admin)
    page = w.page
    await row(page, bid).get_by_role("button", name=re.compile("链接与二维码")).click()
    await expect(page.locator("#detail-h")).to_have_text(re.compile("^已有的直播 "))
    await expect(page.locator("#detail-join")).to_have_text(created["join"], timeout=WAIT_MS)
    await expect(page.get_by_label("全部组件（推荐）", exact=True)).to_have_value(
        created["links"]["overlay"]
    )
    w.check()
    await context.close()


async def test_the_delete_action_is_in_view_at_1440_by_900(
    browser: Browser, hub: HubProcess, admin: Moderator
) -> None:
    ended = await admin.create_broadcast(title="看得见的删除 " + secrets.token_hex(3))
    await admin.command(ended["id"], "bc.state", state="ended")
    context, w = await open_home(browser, hub, admin)
    page = w.page
    await row(page, ended["id"]).get_by_role("button", name=re.compile("链接与二维码")).click()
    await expect(page.locator("#detail-h")).to_have_text(re.compile("^看得见的删除 "))
    button = page.locator("#detail-delete")
    await expect(button).to_be_visible()
    # Without scrolling anything: the button is what is drawn at its own centre.
    on_top = await button.evaluate(
        """(b) => { const r = b.getBoundingClientRect();
                   const x = r.left + r.width / 2, y = r.top + r.height / 2;
                   const hit = document.elementFromPoint(x, y);
                   return y > 0 && y < innerHeight && b.contains(hit); }"""
    )
    assert on_top
    w.check()
    await context.close()


async def test_admin_deletes_an_ended_broadcast_not_a_live_one(
    browser: Browser, hub: HubProcess, admin: Moderator, moderator: Moderator
) -> None:
    ended = await admin.create_broadcast(title="要删除的直播 " + secrets.token_hex(3))
    live = await admin.create_broadcast(title="正在直播 " + secrets.token_hex(3))
    await admin.command(ended["id"], "bc.state", state="ended")
    await admin.command(live["id"], "bc.state", state="live")
    context, w = await open_home(browser, hub, admin)
    page = w.page
    await row(page, live["id"]).get_by_role("button", name=re.compile("链接与二维码")).click()
    await expect(page.locator("#detail-h")).to_have_text(re.compile("^正在直播 "))
    await expect(page.locator("#detail-delete")).to_be_hidden()

    await row(page, ended["id"]).get_by_role("button", name=re.compile("链接与二维码")).click()
    await expect(page.locator("#detail-h")).to_have_text(re.compile("^要删除的直播 "))
    button = page.locator("#detail-delete")
    await button.click()  # arms it
    await expect(button).to_have_text("再点一次确认删除")
    assert await api_status(hub, admin.cookies, f"/api/broadcasts/{ended['id']}") == 200
    await button.click()
    await expect(row(page, ended["id"])).to_have_count(0, timeout=WAIT_MS)
    assert await api_status(hub, admin.cookies, f"/api/broadcasts/{ended['id']}") == 404
    w.check()
    await context.close()

    # A moderator who is not an administrator is not offered the button.
    context, w = await open_home(browser, hub, moderator)
    page = w.page
    await row(page, live["id"]).get_by_role("button", name=re.compile("链接与二维码")).click()
    await expect(page.locator("#detail-h")).to_have_text(re.compile("^正在直播 "))
    await admin.command(live["id"], "bc.state", state="ended")
    await page.reload()
    await row(page, live["id"]).get_by_role("button", name=re.compile("链接与二维码")).click()
    await expect(page.locator("#detail-h")).to_have_text(re.compile("^正在直播 "))
    await expect(page.locator("#detail-delete")).to_be_hidden()
    w.check()
    await context.close()


async def test_titles_render_as_text(browser: Browser, hub: HubProcess, admin: Moderator) -> None:
    title = '<img src=x onerror="alert(1)">&lt;b&gt;'
    topic = "<script>alert('topic')</script>"
    bid = (await admin.create_broadcast(title=title, topic=topic))["id"]
    context, w = await open_home(browser, hub, admin)
    page = w.page
    await expect(row(page, bid).locator(".bc-name")).to_have_text(title, timeout=WAIT_MS)
    await expect(row(page, bid).locator(".bc-topic")).to_have_text(topic)
    assert await page.locator("#bc-list img, #bc-list script").count() == 0
    await row(page, bid).get_by_role("button", name=re.compile("链接与二维码")).click()
    await expect(page.locator("#detail-h")).to_have_text(title)
    assert await page.locator("#detail img").count() == 1  # the QR code, nothing else
    w.check()
    await context.close()


# --- accounts --------------------------------------------------------------------------------


async def test_admin_adds_resets_and_removes_a_moderator(
    browser: Browser, hub: HubProcess, admin: Moderator
) -> None:
    context, w = await open_home(browser, hub, admin)
    page = w.page
    user = "u1" + secrets.token_hex(4)
    section = page.locator("#accounts")
    await expect(section).to_be_visible()
    await section.get_by_label("用户名").fill(user)
    await section.get_by_role("button", name="添加账号").click()
    await expect(account_row(page, user)).to_contain_text("审核员", timeout=WAIT_MS)
    secret = page.locator("#acc-secret-value")
    await expect(page.locator("#acc-secret")).to_be_visible()
    await expect(page.locator("#acc-secret-text")).to_contain_text(user)
    first = await secret.input_value()
    assert len(first) == 16

    # The new moderator logs in with it, sees the broadcasts and no accounts.
    other, ow = await new_page(browser, hub)
    await ow.page.goto(f"{hub.base}/login")
    await login_form(ow.page, user, first)
    # A one-time password: the new moderator sets one of their own first.
    await expect(ow.page.locator("#change-form")).to_be_visible(timeout=WAIT_MS)
    for label in ("新密码", "再输入一次新密码"):
        await ow.page.get_by_label(label, exact=True).fill("their own password 1")
    await ow.page.get_by_role("button", name="设置新密码并进入").click()
    await ow.page.wait_for_url(f"{hub.base}/console", timeout=WAIT_MS)
    await expect(ow.page.locator("#me-user")).to_have_text(user, timeout=WAIT_MS)
    await expect(ow.page.locator("#bc-h")).to_be_visible()
    assert await ow.page.locator("#accounts").count() == 0
    their_cookie = {c["name"]: c["value"] for c in await other.cookies() if c["name"] == "xs_sess"}

    # "我已记下" takes the password off the page.
    await page.get_by_role("button", name="我已记下").click()
    await expect(page.locator("#acc-secret")).to_be_hidden()
    assert await secret.input_value() == ""

    # Reset: a second click confirms; a new one-time password, old sessions end.
    await account_row(page, user).get_by_role("button", name=f"重置 {user} 的密码").click()
    confirm = account_row(page, user).get_by_role("button", name="确认重置")
    await expect(confirm).to_be_focused()
    await confirm.click()
    await expect(page.locator("#acc-secret")).to_be_visible(timeout=WAIT_MS)
    await expect(page.locator("#acc-secret-text")).to_have_text(f"{user} 的新密码：")
    second = await secret.input_value()
    assert second and second != first
    assert await api_status(hub, their_cookie) == 401
    assert await api_login(hub, user, first) == 401
    assert await api_login(hub, user, second) == 200
    await ow.page.reload()
    await ow.page.wait_for_url(re.compile(r"/login\?next=/console"), timeout=WAIT_MS)

    # Remove.
    await account_row(page, user).get_by_role("button", name=f"删除账号 {user}").click()
    await account_row(page, user).get_by_role("button", name="确认删除").click()
    await expect(account_row(page, user)).to_have_count(0, timeout=WAIT_MS)
    await expect(page.locator("#acc-msg")).to_have_text(f"已删除账号 {user}")
    assert await api_login(hub, user, second) == 401
    # Nobody can remove themselves: no button on the admin's own row.
    await expect(
        account_row(page, admin.user).get_by_role("button", name=re.compile("删除"))
    ).to_have_count(0)
    w.check()
    ow.check()
    await other.close()
    await context.close()


async def test_admin_adds_with_a_typed_password(
    browser: Browser, hub: HubProcess, admin: Moderator
) -> None:
    context, w = await open_home(browser, hub, admin)
    page = w.page
    section = page.locator("#accounts")
    user = "u1t" + secrets.token_hex(4)
    await section.get_by_label("用户名").fill(user)
    await section.get_by_label("自己设置").check()
    await expect(section.locator("#acc-pw")).to_be_focused()
    await section.locator("#acc-pw").fill("short")
    await section.get_by_role("button", name="添加账号").click()
    await expect(page.locator("#acc-msg")).to_have_text("密码至少 10 个字符")
    await section.locator("#acc-pw").fill("typed-password-1")
    await section.get_by_label("管理员（可管理账号和全平台敏感词）").check()
    await section.get_by_role("button", name="添加账号").click()
    await expect(account_row(page, user)).to_contain_text("管理员", timeout=WAIT_MS)
    await expect(page.locator("#acc-secret")).to_be_hidden()  # the admin typed it: nothing to show
    assert await api_login(hub, user, "typed-password-1") == 200
    # The same name again.
    await section.get_by_label("用户名").fill(user)
    await section.get_by_role("button", name="添加账号").click()
    await expect(page.locator("#acc-msg")).to_have_text("这个用户名已被使用", timeout=WAIT_MS)
    w.check()
    await context.close()


async def test_non_admin_sees_no_accounts_or_audit(
    browser: Browser, hub: HubProcess, moderator: Moderator
) -> None:
    context, w = await open_home(browser, hub, moderator)
    page = w.page
    await expect(page.locator("#bc-h")).to_be_visible()
    for selector in ("#accounts", "#audit", "[data-admin]"):
        assert await page.locator(selector).count() == 0, selector
    await expect(page.locator("#me-admin")).to_be_hidden()
    await expect(page.locator("#words")).to_be_visible()
    await expect(page.locator("#words-actions")).to_be_hidden()
    assert await api_status(hub, moderator.cookies, "/api/moderators") == 403
    w.check()
    await context.close()


# --- session end ------------------------------------------------------------------------------


async def test_logout_ends_the_session(
    browser: Browser, hub: HubProcess, moderator: Moderator
) -> None:
    context, w = await open_home(browser, hub, moderator)
    page = w.page
    await page.get_by_role("button", name="退出登录").click()
    await page.wait_for_url(f"{hub.base}/login", timeout=WAIT_MS)
    assert await api_status(hub, moderator.cookies) == 401
    status = await page.evaluate("fetch('/api/me').then(r => r.status)")
    assert status == 401
    await page.goto(f"{hub.base}/console")
    await page.wait_for_url(re.compile(r"/login\?next=/console"))
    w.check()
    await context.close()


async def test_an_api_401_sends_the_page_to_login(
    browser: Browser, hub: HubProcess, moderator: Moderator
) -> None:
    context, w = await open_home(browser, hub, moderator)
    page = w.page
    async with moderator.http() as http:  # the session ends elsewhere (another tab)
        assert (await http.post("/api/logout")).status_code == 200
    await page.get_by_role("button", name="刷新").first.click()
    await page.wait_for_url(re.compile(r"/login\?next=%2Fconsole$"), timeout=WAIT_MS)
    w.check()
    await context.close()


# --- language --------------------------------------------------------------------------------


async def test_english_is_remembered(
    browser: Browser, hub: HubProcess, moderator: Moderator
) -> None:
    context, w = await open_home(browser, hub, moderator)
    page = w.page
    await page.get_by_role("button", name="English").click()
    await expect(page.locator("#bc-h")).to_have_text("Broadcasts")
    await expect(page.locator("html")).to_have_attribute("lang", "en")
    await page.goto(f"{hub.base}/login")  # signed in: goes on to /console, in English
    await page.wait_for_url(f"{hub.base}/console", timeout=WAIT_MS)
    await expect(page.locator("#logout")).to_have_text("Sign out", timeout=WAIT_MS)
    await page.get_by_role("button", name="中文").click()
    await expect(page.locator("#logout")).to_have_text("退出登录")
    w.check()
    await context.close()


# --- words and audit --------------------------------------------------------------------------


async def test_words_and_audit_missing_api_is_said(
    browser: Browser, hub: HubProcess, admin: Moderator
) -> None:
    context, w = await new_page(browser, hub, admin)
    page = w.page

    async def missing(route: Route) -> None:
        await route.fulfill(
            status=404,
            content_type="application/json",
            body='{"error":"not_found","message":"Not Found"}',
        )

    await page.route(re.compile(r"/api/(words|audit)"), missing)
    await page.goto(f"{hub.base}/console")
    await expect(page.locator("#words-msg")).to_contain_text("敏感词接口尚未启用", timeout=WAIT_MS)
    await expect(page.locator("#audit-msg")).to_contain_text("操作日志接口尚未启用")
    await expect(page.locator("#words-actions")).to_be_hidden()
    await expect(page.locator("#audit-csv")).to_be_hidden()
    await expect(page.locator("#bc-h")).to_be_visible()  # the rest works
    await expect(page.locator("#acc-list tr").first).to_be_visible()
    w.check()
    await context.close()


async def test_admin_imports_and_saves_the_word_list(
    browser: Browser, hub: HubProcess, admin: Moderator, tmp_path: Any
) -> None:
    async with admin.http() as http:
        before = (await http.get("/api/words")).text
    context, w = await open_home(browser, hub, admin)
    page = w.page
    word = "测试词" + secrets.token_hex(2)
    text = f"# 导入测试\n{word}\n{word}乙\tblock\n\n坏行\tmaybe\n"
    path = tmp_path / "words.txt"
    path.write_bytes(text.encode("gb18030"))  # as saved on Chinese Windows
    try:
        await page.locator("#words-file").set_input_files(str(path))
        await expect(page.locator("#words-msg")).to_contain_text("载入 2 个词", timeout=WAIT_MS)
        await expect(page.locator("#words-check")).to_contain_text(
            "第 5 行的动作只能是 block 或 hold"
        )
        await page.get_by_role("button", name="保存词表").click()
        await expect(page.locator("#words-msg")).to_have_text("请先修正标出的问题")
        await page.locator("#words-text").fill(f"{word}\n{word}乙\tblock\n")
        await page.get_by_role("button", name="保存词表").click()
        await expect(page.locator("#words-msg")).to_contain_text(
            "已保存，共 2 个词", timeout=WAIT_MS
        )
        await expect(page.locator("#words-count")).to_have_text("共 2 个词（拦截 1，待审 1）")
        async with admin.http() as http:
            got = (await http.get("/api/words")).json()
        assert {(x["word"], x["action"]) for x in got["words"]} == {
            (word, "hold"),
            (f"{word}乙", "block"),
        }
    finally:
        async with admin.http() as http:  # the list is deployment-wide: put it back
            restored = [
                (x["word"], x["action"]) for x in httpx.Response(200, text=before).json()["words"]
            ]
            body = "\n".join(f"{wd}\t{a}" for wd, a in restored)
            await http.put(
                "/api/words", content=body.encode(), headers={"Content-Type": "text/plain"}
            )
    w.check()
    await context.close()


async def test_admin_sees_the_latest_audit_entries(
    browser: Browser, hub: HubProcess, admin: Moderator
) -> None:
    title = "审计测试 " + secrets.token_hex(3)
    await admin.create_broadcast(title=title)
    context, w = await open_home(browser, hub, admin)
    page = w.page
    await expect(page.locator("#audit-list tr").first).to_be_visible(timeout=WAIT_MS)
    assert await page.locator("#audit-list tr").count() <= 50
    await expect(page.locator("#audit-list")).to_contain_text(admin.user)
    async with page.expect_download() as info:
        await page.get_by_role("link", name="下载 CSV").click()
    download = await info.value
    assert (await download.path()).read_bytes().startswith(b"\xef\xbb\xbf")
    w.check()
    await context.close()


# --- pictures ----------------------------------------------------------------------------------


async def named_moderator(redis_url: str, base: str, user: str, *, admin: bool) -> Moderator:
    """A moderator with a readable name (the pictures), on a Redis where it is free."""
    password = secrets.token_urlsafe(16)
    redis = aioredis.Redis.from_url(redis_url)
    try:
        accounts = Accounts(redis, Settings(redis_url=redis_url))
        await accounts.create_moderator(user, password, admin=admin)
    finally:
        await redis.aclose()
    return await Moderator(base, user, password).login()


@pytest.mark.docs_image
async def test_screenshots(
    browser: Browser, embedded_redis: EmbeddedRedis, tmp_path_factory: pytest.TempPathFactory
) -> None:
    # A Redis and a hub of its own: the picture shows these broadcasts only,
    # not what the other tests of the module made.
    hub = HubProcess(embedded_redis.url, tmp_path_factory.mktemp("shots")).start()
    try:
        await _screenshots(browser, hub, embedded_redis.url)
    finally:
        hub.stop()


async def _screenshots(browser: Browser, hub: HubProcess, redis_url: str) -> None:
    admin = await named_moderator(redis_url, hub.base, "wang.fang", admin=True)
    await named_moderator(redis_url, hub.base, "li.na", admin=False)
    seeds = [
        ("垃圾分类一周年：做得怎么样", "听取社区居民意见", "ended", -6),
        ("老旧小区加装电梯 · 费用怎么分摊", "街道、物业与居民代表共同商议", "draft", 3),
        ("“一刻钟便民生活圈”建设意见征集", "", "draft", 10),
        (
            "城市轨道交通第三期建设规划 · 市民协商会",
            "委员、专家与市民一起讨论地铁新线的走向、换乘与票价",
            "live",
            0,
        ),
    ]
    today = datetime.now().replace(hour=19, minute=30, second=0, microsecond=0)
    bids = []
    for title, topic, state, days in seeds:
        created = await admin.create_broadcast(
            title=title, topic=topic, scheduled=int(today.timestamp() * 1000) + days * 86_400_000,
            settings={"tags": ["东城区", "西城区", "交通"]},
        )  # fmt: skip
        bids.append(created["id"])
        if state != "draft":
            await admin.command(created["id"], "bc.state", state="live")
        if state == "ended":
            await admin.command(created["id"], "bc.state", state="ended")

    context, w = await open_home(browser, hub, admin)
    page = w.page
    await row(page, bids[-1]).get_by_role("button", name=re.compile("链接与二维码")).click()
    await page.wait_for_function(QR_LOADED)
    await page.mouse.move(0, 0)
    await page.screenshot(path=docs_image("console-home.png"))
    assert docs_image("console-home.png").stat().st_size > 20_000
    if SHOTS_TO:  # for a person checking the layout: the whole page, laptop and tablet
        await page.screenshot(path=f"{SHOTS_TO}/home-full.png", full_page=True)
        await page.get_by_role("button", name="English").click()
        await page.screenshot(path=f"{SHOTS_TO}/home-en.png", full_page=True)
        await page.get_by_role("button", name="中文").click()
    w.check()
    await context.close()

    # A tablet: one column, nothing wider than the screen.
    tablet, tw = await open_home(browser, hub, admin, **TABLET)
    await expect(tw.page.locator("#detail-h")).to_be_visible(timeout=WAIT_MS)
    width = await tw.page.evaluate("[document.documentElement.scrollWidth, innerWidth]")
    assert width[0] <= width[1], width
    if SHOTS_TO:
        await tw.page.screenshot(path=f"{SHOTS_TO}/home-tablet.png", full_page=True)
        await tw.page.screenshot(path=f"{SHOTS_TO}/home-tablet-top.png")
    tw.check()
    await tablet.close()

    login_ctx, lw = await new_page(browser, hub, viewport={"width": 1024, "height": 640})
    await lw.page.goto(f"{hub.base}/login")
    await lw.page.get_by_label("用户名").fill("zhang.wei")
    await lw.page.get_by_label("密码", exact=True).focus()
    await lw.page.screenshot(path=docs_image("login.png"))
    lw.check()
    await login_ctx.close()
