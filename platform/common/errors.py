"""Domain errors: what went wrong, in the domain's words, with no HTTP in them.

Services (and APIs, for bad input they check themselves) raise these; ``common.api.errors`` maps each
kind to the error envelope of API.md and its status. ``code`` is the stable snake_case name scripts
match on; ``message`` is a sentence for people; ``fields`` names the offending inputs.

Messages (and ``fields`` messages) are translated where they are raised, with Django's ``gettext`` and
named placeholders: ``_("No user named %(username)r.") % {"username": username}``. In a request that is
the language LocaleMiddleware chose from Accept-Language (English or Simplified Chinese); elsewhere
(workers, commands) it is English, so job errors that workers store stay English. Code that runs
without Django (cleaning steps, readers, the training engine) marks its templates with ``gettext_noop``
and the API translates them (``message_in``). ``make messages`` updates the catalogue in platform/locale.

    >>> err = Conflict("The import is already running.", code="already_running")
    >>> (err.code, err.message)
    ('already_running', 'The import is already running.')
"""
from __future__ import annotations


class DomainError(Exception):
    """Base of every domain error. Subclasses set the default ``code``."""

    code = "invalid"

    def __init__(self, message: str, *, code: str | None = None, fields: dict | None = None):
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.fields = fields or {}


class Invalid(DomainError):
    """The input is wrong (a value, a field, a combination)."""

    code = "invalid"


class NotFound(DomainError):
    """The object does not exist, or the caller may not know that it does."""

    code = "not_found"


class Forbidden(DomainError):
    """The caller is known to the object but may not do this."""

    code = "permission_denied"


class Conflict(DomainError):
    """The object's state does not allow this now (already finished, busy, taken)."""

    code = "conflict"


class TooLarge(DomainError):
    """The input is over a limit."""

    code = "too_large"


class Unsupported(DomainError):
    """The input's kind (a format, a task type) is not one this can handle."""

    code = "unsupported"
