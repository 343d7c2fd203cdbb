"""The poll commands of the kinds beyond choice (``server/domain/poll_kinds.py``):
creating a poll of any kind, a viewer's word-cloud answer, a moderator's review
of a held answer and the hiding of a word.

Called by ``server.live.commands.execute`` after its role check; as there,
validation first (nothing is written for invalid input), then one store call.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from server import protocol as p
from server.domain import poll as pl
from server.domain import poll_kinds as pk
from server.domain import sensitive
from server.domain import wordcloud as wc
from server.store.store import Result, Store


def voter_view(result: Result) -> Result:
    """A ballot's or an answer's ack as its author may see it: an ``after_close``
    poll's results stay hidden until it closes (the rule of the voter's tally
    events)."""
    results = result.get("results")
    if "ok" in result and isinstance(results, str):
        visible = pl.results_visible(
            pl.ResultsVisibility(results), pl.PollState.OPEN, has_voted=True
        )
        if not visible:
            return {**result, "tallies": None, "ballots": None}
    return result


_warm: list[asyncio.Future[wc.Segmenter]] = []  # start-ups in flight (kept referenced)


async def segmenter() -> wc.Segmenter:
    """The process's segmenter, built once in a thread the first time it is
    needed (a word-cloud poll created here, an answer, or the hub's start-up
    with ``wordcloud_preload``); the event loop keeps serving meanwhile."""
    ready = wc.loaded()
    return ready if ready is not None else await asyncio.to_thread(wc.shared_segmenter)


async def create(store: Store, bid: str, idem: str, cmd: p.CreatePoll, *, user: str) -> Result:
    spec = pk.validate_poll_spec(
        cmd.question, list(cmd.options), cmd.multi, cmd.results, kind=cmd.kind, scale=cmd.scale,
        labels=list(cmd.labels) if cmd.labels is not None else None, max_len=cmd.max_len,
        moderated=cmd.moderated,
    )  # fmt: skip
    if spec.kind is pk.PollKind.WORDS and wc.loaded() is None:
        # Answers will follow: this process loads the dictionary now, in a thread.
        _warm.append(asyncio.ensure_future(segmenter()))
        _warm[:] = [t for t in _warm if not t.done()]
    poll = spec.base
    return await store.create_poll(
        bid, idem, user=user, question=poll.question, options=poll.options, multi=poll.multi,
        results=poll.results.value, kind=spec.kind.value, labels=spec.labels,
        max_len=spec.max_len if spec.kind is pk.PollKind.WORDS else None,
        moderated=spec.moderated,
    )  # fmt: skip


async def run(
    store: Store,
    bid: str,
    idem: str,
    cmd: p.AnswerPoll | p.ReviewAnswer | p.HideWord,
    *,
    vid: str,
    user: str,
    words: Sequence[sensitive.Matcher],
) -> Result:
    match cmd:
        case p.AnswerPoll():
            # Over the widest limit, empty or punctuation only: refused here;
            # over this poll's own limit: refused by the script (it knows it).
            seg = await segmenter()
            text, found = seg.answer(cmd.text, pk.ANSWER_LEN_RANGE[1])
            # Screened with the lists questions use: a 'hold' word sends the
            # answer to review, a 'block' word keeps it out of the cloud.
            flags = sensitive.screen(text, words) if words else None
            return voter_view(
                await store.answer_poll(
                    bid, idem, vid=vid, pid=cmd.poll, text=text, words=found,
                    screen=flags.action.value if flags else "",
                    flags=flags.to_dict() if flags else None,
                )
            )  # fmt: skip
        case p.ReviewAnswer():
            return await store.review_answer(
                bid, idem, user=user, pid=cmd.poll, answer=cmd.answer, approve=cmd.approve
            )
        case p.HideWord():
            word = wc.clean_word(cmd.word)
            return await store.hide_word(
                bid, idem, user=user, pid=cmd.poll, word=word, hide=cmd.hidden
            )
