"""Sensitive-word lists as one hub process applies them: compiled, cached, fresh.

Each process keeps the deployment's list and the list of every broadcast it
has clients of, each compiled once into a ``sensitive.Matcher``. Every
``words_refresh_ms`` one pipelined read of the lists' version counters (bumped
by ``lua/words_put.lua`` in the same step as the change) tells which changed;
only those are read again and recompiled, in a worker thread (a 10,000-word
list with its regional and pinyin forms takes about a second to compile:
never on the event loop). So an
edit applies to new questions in every process within about that interval,
and a question costs no Redis read for its words.

A version is read before its list: a change landing in between is seen by the
next poll (the list is newer than the version it is filed under, never older).

The poll itself is two keys, whatever the number of broadcasts: the global
list's version and ``keys.WORDS_EPOCH``, bumped after every change of a
broadcast's list. Only when the epoch moved (or every ``FULL_CHECK_S``, in
case a process died between a change and its bump) are the broadcasts'
counters read, one pipeline (docs/performance.md: 1,000 broadcasts polled
twice a second cost a tenth of a core).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Collection

from server.domain import sensitive
from server.live.deps import LiveDeps
from server.store.redis_client import REDIS_DOWN

log = logging.getLogger("xs.words")

Compiled = tuple[int, sensitive.Matcher]  # (version it was read at, the list)

FULL_CHECK_S = 30.0  # every broadcast's counter read at least this often


def compile_list(words: dict[str, str]) -> sensitive.Matcher:
    """Build a matcher from a stored list (word -> ``WordEntry.stored()``)."""
    return sensitive.Matcher(
        sensitive.WordEntry.from_stored(word, value) for word, value in words.items()
    )


class WordsDesk:
    def __init__(self, deps: LiveDeps, *, live_bids: Callable[[], Collection[str]]) -> None:
        self._deps = deps
        self._live_bids = live_bids  # broadcasts this process has clients of
        self._global: Compiled | None = None
        self._local: dict[str, Compiled] = {}
        self._lock = asyncio.Lock()  # one (re)load at a time: loads are rare
        self._epoch: int | None = None  # WORDS_EPOCH at the last full check
        self._checked = 0.0  # monotonic time of the last full check

    def cached(self, bid: str) -> tuple[sensitive.Matcher, sensitive.Matcher] | None:
        """The lists a question of ``bid`` is screened against, if loaded here."""
        local = self._local.get(bid)
        if self._global is None or local is None:
            return None
        return self._global[1], local[1]

    async def matchers(self, bid: str) -> tuple[sensitive.Matcher, sensitive.Matcher]:
        """As ``cached``, loading the lists on first use in this process."""
        found = self.cached(bid)
        if found is not None:
            return found
        async with self._lock:
            store = self._deps.store
            if self._global is None:
                version, _ = await store.words_versions(())
                self._global = (version, await self._compile(None))
            if bid not in self._local:
                _, (version,) = await store.words_versions((bid,))
                self._local[bid] = (version, await self._compile(bid))
            return self._global[1], self._local[bid][1]

    async def _compile(self, bid: str | None) -> sensitive.Matcher:
        words = await self._deps.store.words(bid)
        if not words:
            return sensitive.EMPTY
        return await asyncio.to_thread(compile_list, words)

    def versions(self, bid: str | None = None) -> dict[str, int | None]:
        """The versions of the lists this process screens with (None: not loaded
        yet): what ``/readyz?words=<bid>`` reports, so a test or an operator can
        see a change applied instead of waiting a fixed time."""
        out: dict[str, int | None] = {"global": self._global[0] if self._global else None}
        if bid is not None:
            local = self._local.get(bid)
            out["broadcast"] = local[0] if local else None
        return out

    async def refresh(self) -> None:
        """Reload every list whose version moved; forget broadcasts gone from here."""
        live = self._live_bids()
        for bid in [b for b in self._local if b not in live]:
            del self._local[bid]
        if self._global is None:
            return
        # The epoch first: a change bumps it after its counter, so counters
        # read after it include every change it counts.
        version, epoch = await self._deps.store.words_epoch()
        now = time.monotonic()
        full = epoch != self._epoch or now - self._checked >= FULL_CHECK_S
        bids = list(self._local) if full else []
        if full:
            _, versions = await self._deps.store.words_versions(bids)
            self._epoch, self._checked = epoch, now
        async with self._lock:
            if self._global is not None and version != self._global[0]:
                self._global = (version, await self._compile(None))
            if not full:
                return
            for bid, v in zip(bids, versions, strict=True):
                if bid in self._local and v != self._local[bid][0]:
                    self._local[bid] = (v, await self._compile(bid))

    async def run(self) -> None:
        interval = self._deps.settings.words_refresh_ms / 1000
        while True:
            await asyncio.sleep(interval)
            try:
                await self.refresh()
            except REDIS_DOWN as exc:
                self._deps.health.failed(exc, op="words")
            except Exception:
                log.exception("reloading the sensitive-word lists failed")
