"""server.domain.followup_input: every follow-up input refused with a typed code."""

from __future__ import annotations

import pytest

from server.domain.errors import Rejection
from server.domain.followup import Rating
from server.domain.followup_input import (
    CODE_ALPHABET,
    Source,
    display_code,
    normalize_code,
    validate_department,
    validate_dept_id,
    validate_link,
    validate_qtype,
    validate_rating,
    validate_reason,
    validate_reply,
    validate_source,
)
from server.domain.workdays import QuestionType


@pytest.mark.parametrize("link", ["https://example.cn/a?b=1", "http://x.cn", ""])
def test_links_kept(link: str) -> None:
    assert validate_link(link) == link


@pytest.mark.parametrize(
    "link",
    ["javascript:alert(1)", "JAVASCRIPT:alert(1)", "data:text/html,x", "//evil.example", "ftp://x",
     "https://", "https://a b.cn", "https://x.cn/\u0000", "https://" + "a" * 600, 5],
)  # fmt: skip
def test_links_refused(link: object) -> None:
    with pytest.raises(Rejection) as refused:
        validate_link(link)
    assert refused.value.code == "invalid"


def test_reply_and_reasons() -> None:
    assert validate_reply("  已办理\u202e  ") == "已办理"
    with pytest.raises(Rejection) as empty:
        validate_reply("   ")
    assert empty.value.code == "empty"
    with pytest.raises(Rejection) as long:
        validate_reply("字" * 2001)
    assert long.value.code == "too_long"
    assert validate_reason(None, required=False) == ""
    with pytest.raises(Rejection) as missing:
        validate_reason("  ", required=True)
    assert missing.value.code == "empty"
    with pytest.raises(Rejection):
        validate_reason(3, required=False)


def test_ratings_sources_types() -> None:
    assert validate_rating("basically", None) == (Rating.BASICALLY, "")
    for bad in ("good", None, 1):
        with pytest.raises(Rejection):
            validate_rating(bad, None)
    assert validate_source(None) is Source.PHONE
    assert validate_source("member") is Source.MEMBER
    with pytest.raises(Rejection):
        validate_source("fax")
    assert validate_qtype("") is None
    assert validate_qtype("help") is QuestionType.HELP
    with pytest.raises(Rejection):
        validate_qtype("other")


def test_departments() -> None:
    d = validate_department("jt", " 深圳市龙岗区交通运输局 ", None, None)
    assert (d.name, d.short, d.contact) == ("深圳市龙岗区交通运输局", "深圳市龙岗区交通运输局", "")
    for bad in ("all", "audit", "JT", "-x", "", None, "a" * 33):
        with pytest.raises(Rejection):
            validate_dept_id(bad)
    with pytest.raises(Rejection) as empty:
        validate_department("jt", "  ", None, None)
    assert empty.value.code == "empty"


def test_codes() -> None:
    assert normalize_code("x6s-7crh7") == "X6S7CRH7"
    assert normalize_code(" X6S 7CRH7 ") == "X6S7CRH7"
    assert display_code("X6S7CRH7") == "X6S-7CRH7"
    for bad in ("X6S-7CRH", "O0S7CRH7", "I1L7CRH7", None, 12345678, "X" * 30):
        assert normalize_code(bad) is None
    assert not set("01OIL") & set(CODE_ALPHABET)
