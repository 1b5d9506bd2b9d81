"""Domain errors raised by services; community.web maps them to translated responses in one place."""

from __future__ import annotations


class DomainError(Exception):
    """A refusal the user should read: `message` is an English msgid, translated when shown."""

    status_code = 400

    def __init__(self, message: str, **params: object) -> None:
        super().__init__(message)
        self.message = message
        self.params = params


class NotSignedIn(DomainError):
    status_code = 401


class Forbidden(DomainError):
    status_code = 403


class NotFound(DomainError):
    status_code = 404


class Conflict(DomainError):
    status_code = 409


class TooManyAttempts(DomainError):
    status_code = 429


class FormErrors(DomainError):
    """Field-level problems: {field: English msgid}. The form is shown again with what was typed."""

    status_code = 422

    def __init__(self, errors: dict[str, str], values: dict[str, str] | None = None) -> None:
        super().__init__("Please correct the marked fields.")
        self.errors = errors
        self.values = values or {}
