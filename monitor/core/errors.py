"""The domain's refusals: one base class, four kinds. Services raise them; their caller says what they mean.

    DomainError                 a request the domain refuses, with a message for the person who asked
    ├── NotFound                the thing it names does not exist
    ├── Conflict                not allowed in the thing's current state (the message says what is)
    │   ├── CaseConflict        monitor.cases.lifecycle: the case's status or history refuses the change
    │   └── DeliveryConflict    monitor.alerts.dispatch: only a failed delivery is retried
    ├── Forbidden               the actor's role may not do this
    └── Invalid                 the values asked for do not fit (a mention of another case, an empty text)
        └── CaseInvalid         monitor.cases.lifecycle

CaseError (monitor.cases.lifecycle) is the parent of CaseConflict and CaseInvalid: every refused case change.

The API answers each with one problem+json handler (api/errors.py): 404, 409, 403 and 422. Anything else a
service raises is a bug: the API answers 500 and logs the traceback. That is why these are classes of our
own: an `except LookupError` meant for "no such case" also swallowed a KeyError from a bug as a 404.

None of them derives from a built-in exception: callers catch these classes, never LookupError or
ValueError, which bugs raise too.
"""

from __future__ import annotations

__all__ = ["Conflict", "DomainError", "Forbidden", "Invalid", "NotFound"]


class DomainError(Exception):
    """A refusal; `message` is shown to the person who asked, so it names the thing and what would work."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(DomainError):
    pass


class Conflict(DomainError):
    pass


class Forbidden(DomainError):
    pass


class Invalid(DomainError):
    pass
