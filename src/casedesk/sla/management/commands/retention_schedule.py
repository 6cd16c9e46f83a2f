"""Schedule the C7 purge for closed cases that have none (cases closed before retention ran).

Idempotent (one deadline per closure, keyed by ``closed_at``); a purge already overdue
runs at the worker's next tick. ``casedesk manage retention_schedule``.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from casedesk.core import clock
from casedesk.sla.retention import retention_schedule_missing


class Command(BaseCommand):
    help = "Schedule attachment purges (C7) for closed cases that do not have one yet."

    def handle(self, *args: Any, **options: Any) -> None:
        count = retention_schedule_missing(now=clock.now())
        self.stdout.write(f"scheduled {count} purge(s)")
