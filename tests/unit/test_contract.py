"""The browser's contract.js is exactly what server/contract.py generates from Python.

Two ways to drift, two tests: the committed file differs from a fresh render
(someone changed a Python constant and did not run ``python -m server.contract``),
or the render does not say what Python says (the generator itself is wrong:
node evaluates the module and its values are compared with the sources).
"""

from __future__ import annotations

import shutil
import subprocess

import orjson
import pytest

from server import contract, protocol
from server.domain import question
from server.settings import Settings


def test_committed_contract_js_is_the_generated_one() -> None:
    assert contract.TARGET.read_text("utf-8") == contract.render(), (
        "static/js/shared/contract.js is stale: run `python -m server.contract`"
    )


def test_check_mode_reports_a_stale_file(tmp_path, monkeypatch) -> None:
    stale = tmp_path / "contract.js"
    stale.write_text(contract.render().replace("4401", "4402"), "utf-8")
    monkeypatch.setattr(contract, "TARGET", stale)
    assert contract.main(["--check"]) == 1
    assert contract.main([]) == 0
    assert contract.main(["--check"]) == 0


def _evaluated() -> dict[str, object]:
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is required for the front end's tests (make test installs it)")
    script = "import(process.argv[1]).then((m) => process.stdout.write(JSON.stringify(m)));"
    out = subprocess.run(
        [node, "--input-type=module", "-e", script, contract.TARGET.as_uri()],
        check=True, capture_output=True, timeout=30,
    ).stdout  # fmt: skip
    loaded: dict[str, object] = orjson.loads(out)
    return loaded


def test_node_reads_the_values_python_defines() -> None:
    js = _evaluated()
    defaults = Settings()
    assert js["PROTOCOL_VERSION"] == protocol.PROTOCOL_VERSION
    assert js["CLOSE"] == {c.name: c.value for c in protocol.Close}
    assert set(js["RECONNECT_CODES"]) == set(protocol.RECONNECT)  # type: ignore[arg-type]
    assert set(js["TERMINAL_CODES"]) == set(protocol.TERMINAL)  # type: ignore[arg-type]
    assert set(js["RETRYABLE_CODES"]) == protocol.RETRYABLE_CODES  # type: ignore[arg-type]
    assert js["MAX_FRAME_BYTES"] == defaults.ws_max_size
    assert js["LIKE_MAX_BATCH"] == defaults.likes_max_batch
    assert js["ANONYMOUS"] == question.ANONYMOUS
    assert set(js["PUBLIC_STATUSES"]) == set(protocol.PUBLIC_STATUSES)  # type: ignore[arg-type]
    assert {k: set(v) for k, v in js["QUESTION_TRANSITIONS"].items()} == {  # type: ignore[attr-defined]
        str(k): {str(s) for s in v} for k, v in question.QUESTION_TRANSITIONS.items()
    }
    assert js.keys() == {name for name, _, _ in contract.constants()}


def test_no_page_types_a_contract_value_again() -> None:
    """The values most often copied by hand appear in static/js only in contract.js."""
    shared = contract.TARGET.parent
    copies = []
    for path in sorted(shared.parent.rglob("*.js")):
        if path == contract.TARGET:
            continue
        text = path.read_text("utf-8")
        # The i18n tables may say 匿名: there it is a label, not the wire's name.
        needles = ["4401,", "4404,", "LIKE_MAX_BATCH = ", "16 * 1024", "'on_air', 'answered'"]
        if not path.name.startswith("i18n"):
            needles.append("'匿名'")
        for needle in needles:
            if needle in text:
                copies.append(f"{path.relative_to(shared.parent)}: {needle}")
    assert copies == []
