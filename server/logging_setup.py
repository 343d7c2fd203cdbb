"""The process's logging, configured once by ``python -m server run``.

Every record goes through one handler on stderr: the hub's own ``xs.*``
loggers and uvicorn's alike, so each line has a time, a level, a logger and a
message, either readable (the default) or as one JSON object per line
(``LOG_FORMAT=json``, for a log shipper). It is applied before the embedded
Redis and uvicorn start; uvicorn gets no ``log_config`` of its own.

What the handler lets through is decided by three filters:

- ``RedactQueryStrings``: query strings (which can carry secrets) never
  reach a line;
- ``HideClientAddresses``: uvicorn's per-request and per-websocket lines
  name the client as ``ip:port``. Addresses are personal data, used by the hub
  only hashed and short-lived, so those lines print ``-`` instead unless the
  operator sets ``LOG_CLIENT_ADDRESSES=1``. Those lines, and the websockets
  library's "connection open" per socket, are the access log: without
  ``ACCESS_LOG=1`` they are not written at all;
- ``ClientFaultsAreNotErrors``: a client that sends invalid UTF-8 is the
  client's fault, not the server's: one INFO line, no traceback.
"""

from __future__ import annotations

import logging
import logging.config
import time
from typing import Any

import orjson

from server.logging_filters import RedactQueryStrings
from server.settings import Settings

LOG_FORMATS = ("text", "json")

# uvicorn's own lines that start with the client's address (``%s - ...``):
# its HTTP access line and its websocket handshake lines.
_CLIENT_FIRST = '%s - "'

# The websockets library's line per connection, written on uvicorn's logger:
# access-log lines too (no address in them, but one per viewer).
CONNECTION_LINES = {
    "connection open",
    "connection closed",
    "connection rejected (%d %s)",
    "HTTP response sent (%d %s)",
}

# uvicorn (websockets-sansio) logs these with ``logger.exception``: an ERROR
# with the traceback of the decode error, for bytes the client chose to send.
CLIENT_FAULTS = {"Invalid UTF-8 sequence received from client."}


def _utc(record: logging.LogRecord) -> str:
    seconds = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
    return f"{seconds}.{int(record.msecs):03d}Z"


class TextFormatter(logging.Formatter):
    """``2026-12-04T02:30:00.123Z INFO    xs.hub  message`` (UTC), traceback below if any."""

    def format(self, record: logging.LogRecord) -> str:
        line = f"{_utc(record)} {record.levelname:<7} {record.name}  {record.getMessage()}"
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        elif record.exc_text:
            line += "\n" + record.exc_text
        return line


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message (and exc with a traceback).

    The traceback is a field, not extra lines, so a line-oriented reader never
    sees a line that is not JSON.
    """

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": _utc(record),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return orjson.dumps(entry, default=str).decode()


def names_the_client(record: logging.LogRecord) -> bool:
    """uvicorn's request and handshake lines: the message starts with the client."""
    return (
        record.name.startswith("uvicorn")
        and isinstance(record.msg, str)
        and record.msg.startswith(_CLIENT_FIRST)
        and isinstance(record.args, tuple)
        and bool(record.args)
    )


def is_access_line(record: logging.LogRecord) -> bool:
    """A line per request or per connection (what ``ACCESS_LOG`` turns on)."""
    if record.name.startswith("uvicorn") and record.msg in CONNECTION_LINES:
        return True
    return names_the_client(record)


class HideClientAddresses(logging.Filter):
    """Drops the access lines unless wanted; otherwise writes ``-`` for the client's address."""

    def __init__(self, *, access_log: bool, addresses: bool) -> None:
        super().__init__()
        self.access_log = access_log
        self.addresses = addresses

    def filter(self, record: logging.LogRecord) -> bool:
        if not is_access_line(record):
            return True
        if not self.access_log:
            return False
        if not self.addresses and names_the_client(record):
            assert isinstance(record.args, tuple)
            record.args = ("-", *record.args[1:])
        return True


class ClientFaultsAreNotErrors(logging.Filter):
    """A client's malformed frame: INFO, one line, no traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.msg in CLIENT_FAULTS:
            record.levelno, record.levelname = logging.INFO, "INFO"
            record.exc_info = record.exc_text = None
        return True


def configure_logging(settings: Settings) -> None:
    """Apply ``log_config(settings)`` to the process (once, at start)."""
    logging.config.dictConfig(log_config(settings))


def log_config(settings: Settings) -> dict[str, Any]:
    """The ``logging.config.dictConfig`` configuration of the process."""
    if settings.log_format not in LOG_FORMATS:
        raise ValueError(f"LOG_FORMAT must be one of {', '.join(LOG_FORMATS)}")
    level = settings.log_level.upper()
    formatter = JsonFormatter if settings.log_format == "json" else TextFormatter
    filters = ["redact", "addresses"]
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"line": {"()": formatter}},
        "filters": {
            "redact": {"()": RedactQueryStrings},
            "addresses": {
                "()": HideClientAddresses,
                "access_log": settings.access_log,
                "addresses": settings.log_client_addresses,
            },
            "client_faults": {"()": ClientFaultsAreNotErrors},
        },
        "handlers": {
            # The handler's level drops a client fault made INFO when the
            # operator asked for WARNING and above.
            "stderr": {
                "class": "logging.StreamHandler",
                "stream": "ext://sys.stderr",
                "formatter": "line",
                "filters": filters,
                "level": level,
            },
        },
        "loggers": {
            # One handler at the root: the hub's xs.* loggers and uvicorn's
            # propagate to it, so nothing prints bare and nothing twice.
            "uvicorn": {"handlers": [], "level": level, "propagate": True},
            "uvicorn.error": {
                "handlers": [],
                "level": level,
                "propagate": True,
                "filters": ["client_faults"],
            },
            "uvicorn.access": {"handlers": [], "level": level, "propagate": True},
            "xs": {"handlers": [], "level": level, "propagate": True},
        },
        "root": {"handlers": ["stderr"], "level": "WARNING"},
    }
