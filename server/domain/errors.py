"""The one error type of the domain: a typed, user-facing refusal.

A ``Rejection`` travels unchanged from the rule that refused a command to the
client's ack (``code`` is machine-readable, ``message`` is an English sentence a
moderator can read, ``retryable`` tells a client whether sending the same command
again later may succeed).
"""

from __future__ import annotations

from enum import StrEnum


class Code(StrEnum):
    """Every rejection code of the project (mirrored by the JS client)."""

    INVALID = "invalid"  # malformed or out-of-range input
    EMPTY = "empty"  # text that is empty after normalisation
    TOO_LONG = "too_long"  # text over its limit after normalisation
    NOT_FOUND = "not_found"  # no such broadcast, question or poll
    CONFLICT = "conflict"  # illegal state transition
    FORBIDDEN = "forbidden"  # the actor's role may not do this
    RATE_LIMITED = "rate_limited"  # try again later (retryable)
    DUPLICATE = "duplicate"  # the same question was already asked by this viewer
    CLOSED = "closed"  # the broadcast or poll no longer accepts this
    UNAVAILABLE = "unavailable"  # the store is unreachable (retryable)
    BANNED = "banned"  # the viewer was banned from this broadcast


class Rejection(Exception):
    """A command refused for a reason the client should be told.

    ``str(rejection)`` is the message, so logging it reads naturally.
    """

    def __init__(self, code: Code, message: str, *, retryable: bool = False) -> None:
        super().__init__(message)
        # Every code is a member (``Code(code)`` refuses anything else, also
        # from untyped callers), kept as a plain str (Code is a StrEnum, so both
        # compare equal) so the wire encoder never has to know about the enum.
        self.code = str(Code(code))
        self.message = message
        self.retryable = retryable

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return f"Rejection({self.code!r}, {self.message!r}, retryable={self.retryable!r})"
