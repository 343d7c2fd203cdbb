"""Keep secrets in query strings out of the logs.

uvicorn logs the request line of every websocket, query string included, even
with the access log off (measured): ``/ws/b?token=SECRET`` would end up in the
logs. This filter rewrites each query string to ``?<redacted>``.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

# A '?' followed by the rest of a URL token (up to whitespace or a quote).
# A question mark that ends a sentence ("ready?") is left alone.
_QUERY = re.compile(r"\?[^\s\"']+")
REDACTED = "?<redacted>"

UVICORN_LOGGERS = ("uvicorn.error", "uvicorn.access")


def redact(text: str) -> str:
    return _QUERY.sub(REDACTED, text)


class RedactQueryStrings(logging.Filter):
    """Redacts query strings in a record's string args, or in its message if it has none.

    With args the message is a format string written in code, and the args
    carry the request data; the tuple keeps its shape, because uvicorn's access
    formatter unpacks it.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and args:
            record.args = tuple(redact(a) if isinstance(a, str) else a for a in args)
        elif isinstance(args, dict) and args:
            record.args = {k: redact(v) if isinstance(v, str) else v for k, v in args.items()}
        elif isinstance(record.msg, str):
            record.msg = redact(record.msg)
        return True


def install(names: Iterable[str] = UVICORN_LOGGERS) -> None:
    """Add the filter to the named loggers (once each).

    A logger's filters see only the records logged on that logger, so each
    logger that can carry a request line is named explicitly.
    """
    for name in names:
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactQueryStrings) for f in logger.filters):
            logger.addFilter(RedactQueryStrings())
