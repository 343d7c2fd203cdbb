"""A page under watch: every script error, CSP violation and console error it
logs is kept, so a test can end with ``check()`` and fail on any of them."""

from __future__ import annotations

from typing import Any

from playwright.async_api import Page


class Watched:
    """A page and what it complained about.

    Dialogs (alert/confirm/prompt) are problems unless ``accept_dialogs``: then
    they are accepted and their messages kept in ``dialogs`` (a confirm() the
    test means to answer yes to)."""

    def __init__(self, page: Page, *, accept_dialogs: bool = False) -> None:
        self.page = page
        self.accept_dialogs = accept_dialogs
        self.problems: list[str] = []
        self.dialogs: list[str] = []
        page.on("pageerror", lambda exc: self.problems.append(f"pageerror: {exc}"))
        page.on("console", self._console)
        page.on("dialog", self._dialog)

    def _console(self, msg: Any) -> None:
        # A 4xx the page asked for on purpose is logged by chromium as a failed
        # resource load; everything else is a real problem.
        if msg.type == "error" and "Failed to load resource" not in msg.text:
            self.problems.append(f"console: {msg.text}")

    async def _dialog(self, dialog: Any) -> None:
        self.dialogs.append(dialog.message)
        if self.accept_dialogs:
            await dialog.accept()
        else:
            self.problems.append(f"dialog: {dialog.message}")
            await dialog.dismiss()

    def check(self) -> None:
        assert not self.problems, self.problems
