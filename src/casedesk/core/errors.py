"""Domain exceptions, mapped once to form errors and HTTP 4xx (convention 9)."""

from __future__ import annotations


class DomainError(Exception):
    """A business rule refused the action; ``reason`` is shown to the person."""

    status_code = 400

    def __init__(self, reason: str, *, field: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.field = field


class NotFound(DomainError):
    """Missing, or not visible to the actor: the two must look the same (security rule 3)."""

    status_code = 404

    def __init__(self, reason: str = "Not found.") -> None:
        super().__init__(reason)


class NotPermitted(DomainError):
    """The actor may see the object but not do this to it."""

    status_code = 403


class PolicyViolation(DomainError):
    """A support policy (maintenance, refusal, reopen window…) forbids the action."""

    status_code = 422


class TransitionNotAllowed(DomainError):
    """The status table has no such edge for this actor."""

    status_code = 409


class StaleObject(DomainError):
    """Someone else changed the object after the actor loaded it."""

    status_code = 409
    # What a stale write of a case says, wherever it is caught (a service's version check,
    # or a page form whose choices no longer match the case).
    CASE_CHANGED = (
        "This case was changed by someone else after you loaded it. Reload it, check the "
        "latest updates, and try again; nothing you entered was saved."
    )

    def __init__(self, reason: str = CASE_CHANGED, *, field: str | None = None) -> None:
        super().__init__(reason, field=field)
