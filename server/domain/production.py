"""The live production's rules: scenes, the cue, the run-down (docs/obs.md).

Pure: the hub validates with these before the one script of each command
(``server/store/lua/ov_*.lua``, ``rundown.lua``) writes, and projection
gives the overlay's state its wire shape with them.

Scenes are named sets of overlay widgets; the widgets on air ("layers") are
the current scene's, or one widget chosen with the older ``overlay`` command.
The scenes a broadcast starts with are defined once, in
``server/store/lua/_overlay.lua`` (which makes them on first use).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from server.domain.errors import Code, Rejection
from server.domain.text import normalize_name

# A broadcast holds at most this many scenes (a show uses four to eight).
MAX_SCENES = 12
# The run-down is the next hour at most; the queue holds the rest.
MAX_RUNDOWN = 200
SCENE_NAME_MAX = 20


def scene_widgets(widgets: Iterable[str], order: tuple[str, ...]) -> list[str]:
    """The widgets once each, in drawing order (``order``: the protocol's list)."""
    wanted = set(widgets)
    return [w for w in order if w in wanted]


def scene_name(raw: str) -> str:
    """A scene's name as people read it: normalised, not blank, at most 20 characters."""
    name = normalize_name(raw, SCENE_NAME_MAX)
    if not name:
        raise Rejection(Code.EMPTY, "a scene needs a name")
    return name


def rundown_after(qid: int, after: int | None) -> None:
    """A question cannot go after itself."""
    if after is not None and after == qid:
        raise Rejection(Code.INVALID, "a question cannot go after itself")


def _list(value: Any) -> list[Any]:
    # Lua's cjson writes an empty list as {}: every list field goes through here.
    return list(value) if isinstance(value, list) else []


def overlay_view(ov: Mapping[str, Any]) -> dict[str, Any]:
    """The overlay state's wire shape (event and snapshot): lists as lists.
    Fields absent stay absent (an event of an older script has none)."""
    out = dict(ov)
    if "layers" in ov:
        out["layers"] = _list(ov["layers"])
    if "scenes" in ov:
        out["scenes"] = [
            {**s, "widgets": _list(s.get("widgets"))} for s in _list(ov["scenes"])
            if isinstance(s, Mapping)
        ]  # fmt: skip
    if "cue" in ov:
        cue = ov["cue"]
        out["cue"] = (
            {**cue, "layers": _list(cue.get("layers"))} if isinstance(cue, Mapping) else None
        )
    return out


def rundown_view(rd: Mapping[str, Any] | None) -> dict[str, Any]:
    """The run-down's wire shape: ``{items: [qid...], ver}``."""
    rd = rd or {}
    return {**rd, "items": _list(rd.get("items")), "ver": int(rd.get("ver") or 0)}
