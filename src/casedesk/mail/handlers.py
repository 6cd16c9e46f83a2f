"""Deadline handlers of the mail app (imported at app ready so they register).

``mail.process`` (issue 15, item 5): every stored message gets one, due
``storing.PROCESS_GRACE`` after it arrived, in the transaction that stored it. The
receiver normally routes the message at once and the deadline finds nothing to do; if
the receiver died between storing and routing, the worker (``casedesk worker``, or the
demo's in-process one) processes the message here. This runs inside the worker's batch
transaction, so the slow parse holds it only on this crash path.
"""

from __future__ import annotations

import datetime as dt

from casedesk.scheduling.models import Deadline
from casedesk.scheduling.registry import handles

from .models import InboundMessage, State
from .services import mail_process
from .services.storing import PROCESS_KIND


@handles(PROCESS_KIND)
def run_mail_process(deadline: Deadline, now: dt.datetime) -> str:
    """Route a message a crash left ``received``; a processed one is left as it is."""
    pk = int(deadline.payload.get("inbound_id", 0))
    state = InboundMessage.objects.filter(pk=pk).values_list("state", flat=True).first()
    if state is None:
        return f"inbound mail #{pk}: no longer stored"
    if state != State.RECEIVED:
        return f"inbound mail #{pk}: already processed ({state})"
    message = mail_process(message_id=pk, now=now)
    return f"inbound mail #{pk}: {message.state} ({message.reason_code}), picked up by the worker"
