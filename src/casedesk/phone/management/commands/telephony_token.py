"""``casedesk manage telephony_token create NAME`` / ``revoke ID`` / ``list``: the IVR's token."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from casedesk.core import clock
from casedesk.phone.models import TelephonyToken
from casedesk.phone.services import telephony_token_create, telephony_token_revoke


class Command(BaseCommand):
    help = "Create, list or revoke the telephony (IVR/CTI) API tokens."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["create", "list", "revoke"])
        parser.add_argument("value", nargs="?", default="", help="a name, or a token id")

    def handle(self, *args: Any, **options: Any) -> None:
        action, value = options["action"], options["value"]
        if action == "create":
            raw = telephony_token_create(name=value or "Telephony", now=clock.now())
            self.stdout.write(raw)
        elif action == "revoke":
            done = value.isdigit() and telephony_token_revoke(token_id=int(value), now=clock.now())
            self.stdout.write("revoked" if done else "no such live token")
        else:
            for token in TelephonyToken.objects.all():
                state = "revoked" if token.revoked_at else "live"
                self.stdout.write(f"{token.pk}\t{token.prefix}…\t{token.name}\t{state}")
