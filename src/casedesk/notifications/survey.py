"""Signed survey links (F7, B6): ``/survey/<token>/``, no login, one answer per closure.

The token is ``django.core.signing`` over the case id and the closure time it was
issued for, under its own salt, with the issue time inside so validity (60 days) is
checked against ``casedesk.core.clock`` like every other deadline. An edited or
foreign token fails the signature and answers 404 like a missing page; a valid one
reveals only the case number and subject.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.core import signing

from casedesk.cases.models import Case
from casedesk.core.errors import NotFound

from .rendering import site_link

SALT = "casedesk.notifications.survey.v1"
VALID_FOR = dt.timedelta(days=60)


@dataclass(frozen=True)
class SurveyInvitation:
    case: Case
    closure: dt.datetime


def survey_token(case: Case, *, now: dt.datetime) -> str:
    if case.closed_at is None:
        raise ValueError("only a closed case has a survey")
    issued = now
    payload = {"c": case.pk, "k": case.closed_at.isoformat(), "i": int(issued.timestamp())}
    return signing.dumps(payload, salt=SALT, compress=False)


def survey_link(case: Case, *, now: dt.datetime) -> str:
    return site_link(f"/survey/{survey_token(case, now=now)}/")


def survey_invitation(token: str, *, now: dt.datetime) -> SurveyInvitation:
    """The case and closure a token stands for; NotFound for anything else (F7)."""
    try:
        payload = signing.loads(token, salt=SALT)
        case_id, closure_text, issued = int(payload["c"]), str(payload["k"]), int(payload["i"])
        closure = dt.datetime.fromisoformat(closure_text)
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        raise NotFound("No such survey.") from None
    age = now - dt.datetime.fromtimestamp(issued, tz=dt.UTC)
    if age > VALID_FOR or age < -dt.timedelta(minutes=5):
        raise NotFound("No such survey.")
    case = Case.objects.filter(pk=case_id).only("id", "subject", "priority", "closed_at").first()
    if case is None:
        raise NotFound("No such survey.")
    return SurveyInvitation(case=case, closure=closure)
