"""server.logging_setup: line formats and the filters every record passes.

The configuration as a whole, applied to a real ``python -m server run``, is
tested in tests/integration/test_logs.py.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Callable

import orjson
import pytest

from server.logging_setup import (
    ClientFaultsAreNotErrors,
    HideClientAddresses,
    JsonFormatter,
    TextFormatter,
    log_config,
)
from server.settings import Settings

TIME = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z"


def record(
    msg: str, *args: object, name: str = "xs.hub", level: int = logging.INFO, exc: bool = False
) -> logging.LogRecord:
    exc_info = None
    if exc:
        try:
            raise UnicodeDecodeError("utf-8", b"\xff", 0, 1, "invalid start byte")
        except UnicodeDecodeError:
            exc_info = sys.exc_info()
    return logging.LogRecord(name, level, __file__, 1, msg, args or None, exc_info)


def test_text_line() -> None:
    line = TextFormatter().format(record("presence for %d broadcasts", 3))
    assert re.fullmatch(TIME + r" INFO {4}xs\.hub  presence for 3 broadcasts", line)


def test_text_line_keeps_a_traceback_below_it() -> None:
    lines = TextFormatter().format(record("failed", level=logging.ERROR, exc=True)).splitlines()
    assert re.fullmatch(TIME + r" ERROR {3}xs\.hub  failed", lines[0])
    assert lines[1] == "Traceback (most recent call last):"


def test_json_line() -> None:
    line = JsonFormatter().format(record("问题 %s 已批准", "42", name="xs.ws"))
    assert "\n" not in line
    entry = orjson.loads(line)
    assert set(entry) == {"time", "level", "logger", "message"}
    assert re.fullmatch(TIME, entry["time"])
    assert (entry["level"], entry["logger"], entry["message"]) == (
        "INFO",
        "xs.ws",
        "问题 42 已批准",
    )


def test_json_line_carries_the_traceback_as_a_field() -> None:
    line = JsonFormatter().format(record("failed", level=logging.ERROR, exc=True))
    assert "\n" not in line
    entry = orjson.loads(line)
    assert entry["exc"].startswith("Traceback (most recent call last):")
    assert "UnicodeDecodeError" in entry["exc"]


def handshake() -> logging.LogRecord:
    # The exact call of uvicorn's websockets-sansio protocol.
    return record(
        '%s - "WebSocket %s" [accepted]', "203.0.113.9:51234", "/ws/b", name="uvicorn.error"
    )


def access() -> logging.LogRecord:
    # The exact call of uvicorn's HTTP access log.
    return record(
        '%s - "%s %s HTTP/%s" %d',
        "203.0.113.9:51234",
        "GET",
        "/b/x",
        "1.1",
        200,
        name="uvicorn.access",
    )


@pytest.mark.parametrize("make", [handshake, access])
def test_access_lines_dropped_by_default(make: Callable[[], logging.LogRecord]) -> None:
    assert HideClientAddresses(access_log=False, addresses=False).filter(make()) is False


@pytest.mark.parametrize(
    "message", ["connection open", "connection closed", "connection rejected (%d %s)"]
)
def test_connection_lines_are_access_lines(message: str) -> None:
    rec = record(message, *((403, "Forbidden") if "%" in message else ()), name="uvicorn.error")
    assert HideClientAddresses(access_log=False, addresses=False).filter(rec) is False
    assert HideClientAddresses(access_log=True, addresses=False).filter(rec) is True


@pytest.mark.parametrize("make", [handshake, access])
def test_access_lines_without_the_address(make: Callable[[], logging.LogRecord]) -> None:
    rec = make()
    assert HideClientAddresses(access_log=True, addresses=False).filter(rec) is True
    assert rec.getMessage().startswith('- - "')
    assert "203.0.113.9" not in rec.getMessage()


def test_access_lines_with_the_address_when_asked() -> None:
    rec = access()
    assert HideClientAddresses(access_log=True, addresses=True).filter(rec) is True
    assert rec.getMessage() == '203.0.113.9:51234 - "GET /b/x HTTP/1.1" 200'


@pytest.mark.parametrize(
    "rec",
    [
        record("Uvicorn running on %s://%s:%d (Press CTRL+C to quit)", "http", "0.0.0.0", 8000),
        record('%s - "not a uvicorn line"', "x", name="xs.ws"),
        record("connection open", name="xs.ws"),
    ],
)
def test_other_lines_untouched(rec: logging.LogRecord) -> None:
    before = rec.getMessage()
    assert HideClientAddresses(access_log=False, addresses=False).filter(rec) is True
    assert rec.getMessage() == before


def test_invalid_utf8_is_one_info_line() -> None:
    rec = record(
        "Invalid UTF-8 sequence received from client.",
        name="uvicorn.error",
        level=logging.ERROR,
        exc=True,
    )
    assert ClientFaultsAreNotErrors().filter(rec) is True
    assert (rec.levelno, rec.levelname, rec.exc_info) == (logging.INFO, "INFO", None)
    assert "\n" not in TextFormatter().format(rec)


def test_a_server_error_keeps_its_traceback() -> None:
    rec = record("Exception in ASGI application\n", name="uvicorn.error", level=logging.ERROR)
    rec.exc_info = record("x", exc=True).exc_info
    ClientFaultsAreNotErrors().filter(rec)
    assert rec.levelno == logging.ERROR and rec.exc_info is not None


def test_log_format_is_checked() -> None:
    with pytest.raises(ValueError, match="LOG_FORMAT"):
        log_config(Settings(log_format="xml"))
    config = log_config(Settings(log_format="json", log_level="warning"))
    assert config["formatters"]["line"]["()"] is JsonFormatter
    assert config["handlers"]["stderr"]["level"] == "WARNING"
