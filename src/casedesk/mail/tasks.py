"""Background jobs of inbound mail, run by ``casedesk worker`` through django-tasks (ADR 0001).

A receiver stores each message before answering, then processes it in its own thread. When
that processing fails outright (the database went away or stayed locked past its timeout),
the receiver hands the stored message to this job instead of leaving it until its next
start; ``casedesk worker`` runs it within a tick. The job is idempotent: ``mail_process``
claims only a message still ``received``, so a second run, or the receiver's start-up
sweep getting there first, changes nothing.
"""

from __future__ import annotations

from django_tasks import task

from casedesk.core import clock


@task()
def mail_process_stored(message_id: int) -> str:
    """Process one stored inbound message; returns the state it ended in."""
    from .services import mail_process

    return str(mail_process(message_id=message_id, now=clock.now()).state)
