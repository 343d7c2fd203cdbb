"""The follow-up pages in a real chromium against a real hub and redis-server:
the asker's phone (code at once, the published reply, the rating), /q/<code>,
the public replies page (phone) and the office page (desktop).

Screenshots: every run takes them (so the pages are drawn in full), into a
temporary folder; ``make docs-images`` (XS_DOCS_IMAGES=1) keeps them as
docs/img/followup-*.png. Normal runs write no tracked file.
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.async_api import Browser, Page, expect

from tests.browser.conftest import docs_image, phone
from tests.integration.harness import HubProcess, Moderator, new_moderator
from tests.integration.hub_helpers import running_hub

pytestmark = [pytest.mark.anyio, pytest.mark.browser, pytest.mark.docs_image]
WAIT_MS = 8000
PASSWORD = "correct horse battery"
MARKUP = '<img src=x onerror="alert(1)">'


@pytest.fixture(scope="module")
def fu_hub(redis_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[HubProcess]:
    with running_hub(
        redis_url, tmp_path_factory.mktemp("fubrowser"), FU_INDEX_INTERVAL_S="0.2"
    ) as hub:
        yield hub


@pytest.fixture
async def admin(fu_hub: HubProcess, redis_url: str) -> AsyncIterator[Moderator]:
    yield await new_moderator(redis_url, fu_hub.base)


async def picture(page: Page, name: str, tmp: Path) -> None:
    await page.wait_for_timeout(300)
    target = docs_image(name)
    await page.screenshot(path=str(target), full_page=True)
    assert target.stat().st_size > 10_000


async def new_page(browser: Browser, **options: Any) -> tuple[Page, list[str]]:
    context = await browser.new_context(**options)
    page = await context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("dialog", lambda dialog: errors.append(f"dialog {dialog.message}"))
    return page, errors


async def moderator_page(browser: Browser, admin: Moderator, base: str) -> tuple[Page, list[str]]:
    """A laptop page signed in as ``admin``."""
    page, errors = await new_page(browser, viewport={"width": 1440, "height": 900}, locale="zh-CN")
    await page.context.add_cookies(
        [{"name": "xs_sess", "value": admin.cookies["xs_sess"], "url": base}]
    )
    return page, errors


async def test_the_road_in_the_browser(
    browser: Browser, fu_hub: HubProcess, admin: Moderator, tmp_path: Path
) -> None:
    base = fu_hub.base
    dept, official = "jt" + secrets.token_hex(3), "o" + secrets.token_hex(4)
    async with admin.http() as http:
        r = await http.post(
            "/api/departments",
            json={"id": dept, "name": "深圳市龙岗区交通运输局", "short": "区交通局"},
        )
        assert r.status_code == 201, r.text
        r = await http.post(
            "/api/officials", json={"username": official, "password": PASSWORD, "dept": dept}
        )
        assert r.status_code == 201, r.text
    bid = (
        await admin.create_broadcast(
            title="协商在线 · 轨道交通", settings={"moderation": False, "tags": ["交通"]}
        )
    )["id"]
    await admin.command(bid, "bc.state", state="live")

    # The asker, on a phone: the code shows at once.
    asker, asker_errors = await new_page(browser, **phone())
    await asker.goto(f"{base}/b/{bid}")
    await expect(asker.locator("#conn")).to_have_attribute("data-state", "open", timeout=WAIT_MS)
    await asker.fill("#ask-text", f"地铁16号线什么时候通车？{MARKUP}")
    await asker.click("#ask-submit")
    await expect(asker.locator("#ask-code")).to_contain_text("记下查询码", timeout=WAIT_MS)
    feedback = await asker.locator("#ask-code").text_content() or ""
    code = feedback.rsplit("：", 1)[1].strip()
    assert len(code) == 9 and code[3] == "-"
    await expect(asker.locator(".fu-code")).to_contain_text(code, timeout=WAIT_MS)
    qid = 1  # the first question of a broadcast made for this test

    # The show ends; the office forwards it, the department replies, the office publishes.
    await admin.command(bid, "bc.state", state="ended")
    assert "result" in await admin.command(bid, "fu.assign", qid=qid, dept=dept, qtype="help")

    office, office_errors = await new_page(
        browser, viewport={"width": 1280, "height": 800}, locale="zh-CN"
    )
    await office.goto(f"{base}/office")
    await office.fill("#user", official)
    await office.fill("#pw", PASSWORD)
    await office.click("#login-submit")
    item = office.locator("#items .item").first
    await expect(item).to_contain_text("地铁16号线", timeout=WAIT_MS)
    await expect(item.locator(".due")).to_contain_text("办理时限")
    # The question's markup is text: the node holding it has no element children.
    assert await item.locator(".item-q").evaluate("(n) => n.children.length") == 0
    await picture(office, "followup-office.png", tmp_path)
    await item.get_by_role("button", name="签收").click()
    await expect(office.locator("#items .item textarea")).to_be_visible(timeout=WAIT_MS)
    await office.fill(
        "#items .item textarea", "16号线二期预计今年年底通车，届时将同步开通接驳公交。"
    )
    await office.get_by_role("button", name="提交答复").click()
    await expect(office.locator("#items .item .pill").first).to_have_text(
        "已答复，待审核", timeout=WAIT_MS
    )
    assert "result" in await admin.command(bid, "fu.review", qid=qid, action="publish")

    # The asker sees the reply live and rates it.
    mine = asker.locator(".mine-item").first
    await expect(mine.locator(".fu-reply")).to_contain_text("年底通车", timeout=WAIT_MS)
    await expect(mine.locator(".fu-state")).to_have_text("已公开答复")
    await picture(asker, "followup-asker.png", tmp_path)
    await mine.locator('.fu-rate-btn[data-rating="basically"]').click()
    await expect(mine).to_contain_text("感谢评价：基本满意", timeout=WAIT_MS)
    assert not asker_errors and not office_errors, asker_errors + office_errors

    # /q/<code> from another device: the same state and reply; a wrong code: 没有找到.
    lookup, lookup_errors = await new_page(browser, **phone())
    await lookup.goto(f"{base}/q/{code}")
    await expect(lookup.locator("#result")).to_contain_text("年底通车", timeout=WAIT_MS)
    await expect(lookup.locator("#result .pill").first).to_have_text("已办结")
    assert await lookup.locator("#result .item-q").evaluate("(n) => n.children.length") == 0
    await picture(lookup, "followup-lookup.png", tmp_path)
    await lookup.fill("#code", "ZZZ-ZZZZZ")
    await lookup.click("#submit")
    await expect(lookup.locator("#msg")).to_have_text("没有找到", timeout=WAIT_MS)
    await expect(lookup.locator("#result")).to_be_hidden()

    # The public replies page on a phone: figures, the reply, search.
    public, public_errors = await new_page(browser, **phone())
    await public.goto(f"{base}/r/{bid}")
    await expect(public.locator("#items .item")).to_have_count(1, timeout=WAIT_MS)
    await expect(public.locator("#figures")).to_contain_text("答复率")
    await expect(public.locator("#figures")).to_contain_text("100.0%")
    await expect(public.locator("#by-dept")).to_contain_text("区交通局")
    await picture(public, "followup-replies.png", tmp_path)
    await public.fill("#search", "不存在的词")
    await expect(public.locator("#items .item")).to_have_count(0)
    await expect(public.locator("#empty")).to_be_visible()
    await public.fill("#search", "接驳公交")
    await expect(public.locator("#items .item")).to_have_count(1)
    assert not lookup_errors and not public_errors, lookup_errors + public_errors
    async with httpx.AsyncClient(base_url=base) as http:
        csp = (await http.get(f"/r/{bid}")).headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp


async def test_the_console_triage_panel(
    browser: Browser, fu_hub: HubProcess, admin: Moderator, tmp_path: Path
) -> None:
    base = fu_hub.base
    dept = "cg" + secrets.token_hex(3)
    async with admin.http() as http:
        r = await http.post(
            "/api/departments", json={"id": dept, "name": "龙岗区城市管理局", "short": "区城管局"}
        )
        assert r.status_code == 201, r.text
    bid = (
        await admin.create_broadcast(title="协商在线 · 城市管理", settings={"moderation": False})
    )["id"]
    await admin.command(bid, "bc.state", state="live")
    for text in ("路灯坏了很久", "垃圾分类点太远", MARKUP):
        await admin.command(bid, "q.enter", text=text, source="hotline")
    await admin.command(bid, "bc.state", state="ended")

    page, errors = await moderator_page(browser, admin, base)
    await page.goto(f"{base}/console/{bid}")
    try:
        await expect(page.locator("#conn")).to_have_attribute("data-state", "open", timeout=WAIT_MS)
    except AssertionError:
        raise AssertionError(await page.locator("body").inner_text()) from None
    await page.locator("#tab-followup").click()
    panel = page.locator("#panel-followup")
    await expect(panel).to_contain_text("还有 3 条待处理", timeout=WAIT_MS)
    # Untrusted text stays text in the panel too.
    markup_row = panel.locator(".fu-item", has_text="onerror")
    assert await markup_row.locator(".fu-text").evaluate("(n) => n.children.length") == 0
    lamp = panel.locator(".fu-item", has_text="路灯坏了很久")
    await lamp.get_by_role("button", name="转办", exact=True).click()
    await expect(panel).to_contain_text("还有 2 条待处理", timeout=WAIT_MS)
    bins = panel.locator(".fu-item", has_text="垃圾分类点太远")
    await bins.locator('input[type="text"]').first.fill("主持人现场答复：将增设收集点")
    await bins.locator('button[data-action="answer_live"]').click()
    await expect(panel).to_contain_text("还有 1 条待处理", timeout=WAIT_MS)
    await picture(page, "followup-console.png", tmp_path)
    async with admin.http() as http:
        view = (await http.get(f"/api/broadcasts/{bid}/followup")).json()
    states = {i["q"]["text"]: i["fu"].get("state") for i in view["items"]}
    assert states["路灯坏了很久"] == "assigned" and states["垃圾分类点太远"] == "answered_live"
    assert not errors, errors
    await page.context.close()


async def test_administrators_manage_departments_officials_and_seasons(
    browser: Browser, fu_hub: HubProcess, admin: Moderator
) -> None:
    base = fu_hub.base
    dept, sid, user = (
        "hb" + secrets.token_hex(3),
        "s" + secrets.token_hex(3),
        "o" + secrets.token_hex(4),
    )
    bid = (await admin.create_broadcast(title="协商在线 · 第1期"))["id"]
    page, errors = await moderator_page(browser, admin, base)
    await page.goto(f"{base}/console")
    section = page.locator("#followup-admin")
    await expect(section).to_be_visible(timeout=WAIT_MS)
    await section.get_by_label("编号（如 jt）").fill(dept)
    await section.get_by_label("全称").fill("龙岗区生态环境局")
    await section.get_by_label("简称").fill("区环境局")
    await section.get_by_role("button", name="保存承办单位").click()
    await expect(section).to_contain_text(f"{dept} · 龙岗区生态环境局（区环境局）", timeout=WAIT_MS)
    await section.get_by_label("账号用户名").fill(user)
    await section.get_by_label("初始密码（至少 12 位）").fill(PASSWORD)
    await section.get_by_label("承办单位", exact=True).fill(dept)
    await section.get_by_role("button", name="添加承办单位账号").click()
    await expect(section).to_contain_text(f"{user} · {dept}", timeout=WAIT_MS)
    await section.get_by_label("编号（如 2024）").first.fill(sid)
    await section.get_by_label("名称").fill("2024 协商在线")
    await section.get_by_label("年份").fill("2024")
    await section.get_by_role("button", name="新建季").click()
    await expect(section).to_contain_text(f"{sid} · 2024 协商在线（2024）", timeout=WAIT_MS)
    await section.get_by_label("编号（如 2024）").nth(1).fill(sid)
    await section.get_by_label("直播编号").fill(bid)
    await section.get_by_role("button", name="加入该季").click()
    await expect(section).to_contain_text(f"（2024）：{bid}", timeout=WAIT_MS)
    assert not errors, errors
    await page.context.close()
    # The account signs in at /office, bound to its department.
    async with httpx.AsyncClient(base_url=base) as http:
        r = await http.post("/api/login", json={"username": user, "password": PASSWORD})
        assert r.json()["role"] == "official"
        assert (await http.get("/api/office/me")).json()["dept"] == dept
