"""The production commands: scenes, cue and take, the run-down (docs/obs.md).

Called by ``server.live.commands`` once the role is checked (moderators only):
the domain validates (``server.domain.production``), then exactly one script
writes (``ov_scene.lua``, ``ov_cue.lua``, ``ov_take.lua``, ``rundown.lua``).
"""

from __future__ import annotations

from typing import assert_never

from server import protocol as p
from server.domain import production as prod
from server.store.store import Result, Store


async def execute(store: Store, bid: str, idem: str, user: str, cmd: p.ProductionCommand) -> Result:
    match cmd:
        case p.SwitchScene():
            return await store.scene(bid, idem, user=user, op="switch", scene=cmd.scene,
                                     pid=cmd.poll)  # fmt: skip
        case p.PutScene():
            return await store.scene(
                bid, idem, user=user, op="put", scene=cmd.scene, name=prod.scene_name(cmd.name),
                widgets=prod.scene_widgets(cmd.widgets, p.OVERLAY_WIDGETS),
                max_scenes=prod.MAX_SCENES,
            )  # fmt: skip
        case p.DeleteScene():
            return await store.scene(bid, idem, user=user, op="delete", scene=cmd.scene)
        case p.Cue():
            return await store.cue(bid, idem, user=user, clear=False, scene=cmd.scene,
                                   qid=cmd.qid, pid=cmd.poll)  # fmt: skip
        case p.ClearCue():
            return await store.cue(bid, idem, user=user, clear=True)
        case p.Take():
            return await store.take(bid, idem, user=user)
        case p.RundownAdd():
            prod.rundown_after(cmd.qid, cmd.after)
            return await store.rundown(bid, idem, user=user, op="add", qid=cmd.qid,
                                       after=cmd.after, max_items=prod.MAX_RUNDOWN)  # fmt: skip
        case p.RundownMove():
            prod.rundown_after(cmd.qid, cmd.after)
            return await store.rundown(bid, idem, user=user, op="move", qid=cmd.qid,
                                       after=cmd.after, at_end=False, ver=cmd.ver)  # fmt: skip
        case p.RundownRemove():
            return await store.rundown(bid, idem, user=user, op="remove", qid=cmd.qid, ver=cmd.ver)
        case p.RundownNext():
            return await store.rundown(bid, idem, user=user, op="next", ver=cmd.ver)
        case _:
            assert_never(cmd)
