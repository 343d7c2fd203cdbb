import logging

import pytest
from uvicorn.logging import AccessFormatter, DefaultFormatter

from server.logging_filters import REDACTED, RedactQueryStrings, redact


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("/ws/b1?token=SECRET", "/ws/b1?<redacted>"),
        ('"WebSocket /ws/b1?token=S&x=1" [accepted]', '"WebSocket /ws/b1?<redacted>" [accepted]'),
        ("GET /a?k=v HTTP/1.1 then /b?q=2", "GET /a?<redacted> HTTP/1.1 then /b?<redacted>"),
        ("no query here", "no query here"),
        ("ready? yes", "ready? yes"),
        ("ready?", "ready?"),
        ("/path?", "/path?"),
    ],
)
def test_redact(text: str, expected: str) -> None:
    assert redact(text) == expected


def record(msg: str, *args: object, name: str = "uvicorn.error") -> logging.LogRecord:
    return logging.LogRecord(name, logging.INFO, __file__, 1, msg, args or None, None)


def test_websocket_request_line_is_redacted() -> None:
    # The exact call of uvicorn's websockets-sansio protocol.
    rec = record('%s - "WebSocket %s" [accepted]', "1.2.3.4:5", "/ws/b?token=SECRET")
    assert RedactQueryStrings().filter(rec) is True
    assert rec.getMessage() == '1.2.3.4:5 - "WebSocket /ws/b?<redacted>" [accepted]'
    assert DefaultFormatter("%(message)s", use_colors=False).format(rec).count("SECRET") == 0


def test_access_line_keeps_its_arg_tuple() -> None:
    rec = record(
        '%s - "%s %s HTTP/%s" %d',
        "1.2.3.4:5",
        "GET",
        "/api/x?token=SECRET",
        "1.1",
        200,
        name="uvicorn.access",
    )
    RedactQueryStrings().filter(rec)
    assert rec.args == ("1.2.3.4:5", "GET", "/api/x" + REDACTED, "1.1", 200)
    line = AccessFormatter("%(message)s", use_colors=False).format(rec)
    assert "SECRET" not in line and "200" in line


def test_message_without_args_and_mapping_args() -> None:
    plain = record("closing /ws/b?token=SECRET")
    RedactQueryStrings().filter(plain)
    assert plain.getMessage() == "closing /ws/b?<redacted>"
    mapped = logging.LogRecord("x", logging.INFO, __file__, 1, "%(p)s", None, None)
    mapped.args = {"p": "/ws?token=SECRET"}
    RedactQueryStrings().filter(mapped)
    assert mapped.getMessage() == "/ws?<redacted>"
