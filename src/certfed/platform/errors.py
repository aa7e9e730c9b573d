"""Errors that actions raise and every surface turns into a clear answer (JSON, a form
message, a CLI line) — never a 500."""

from __future__ import annotations


class ActionError(Exception):
    status = 400

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(f"{field}: {message}" if field else message)
        self.field = field
        self.message = message


class Invalid(ActionError):
    """The input breaks a rule; the message names the field and the value."""

    status = 422


class Forbidden(ActionError):
    """The caller may see the object but may not do this to it."""

    status = 403


class NotFound(ActionError):
    """No such object — or one the caller may not see, which must answer the same."""

    status = 404
