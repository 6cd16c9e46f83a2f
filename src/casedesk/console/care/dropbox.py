"""Console actions on a case's drop box (D2): create and revoke, Customer Care only.

Contacts never reach the console (404); other support roles get 403 from the service's
NotPermitted; a refusal (closed case, one already open) re-renders the case page with the
reason at the service's 4xx status.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from casedesk.console.cases.page import case_page
from casedesk.core import clock
from casedesk.core.errors import DomainError, NotPermitted
from casedesk.dropbox.selectors import live_dropbox
from casedesk.dropbox.services import dropbox_open, dropbox_revoke
from casedesk.web.access import get_case_or_404, support_view


def _refused(request: HttpRequest, case, exc: DomainError) -> HttpResponse:  # type: ignore[no-untyped-def]
    if isinstance(exc, NotPermitted):
        raise PermissionDenied(exc.reason)
    messages.error(request, exc.reason)
    return case_page(request, case, exc.status_code)


@support_view
@require_POST
def open_dropbox(request: HttpRequest, number: str) -> HttpResponse:
    case = get_case_or_404(request.user, number)
    try:
        dropbox_open(case=case, actor=request.user, now=clock.now())  # type: ignore[arg-type]
    except DomainError as exc:
        return _refused(request, case, exc)
    messages.success(request, "SFTP drop box created; the login is shown on the case.")
    return redirect("console-case-detail", number=case.number)


@support_view
@require_POST
def revoke_dropbox(request: HttpRequest, number: str) -> HttpResponse:
    case = get_case_or_404(request.user, number)
    now = clock.now()
    account = live_dropbox(case, now)
    try:
        if account is None or request.POST.get("account", str(account.pk)) != str(account.pk):
            if not request.user.role == "care":  # type: ignore[union-attr]
                raise NotPermitted("Only Customer Care revokes SFTP drop boxes.")
            raise DomainError("That drop box has already ended.")
        dropbox_revoke(account=account, actor=request.user, now=now)  # type: ignore[arg-type]
    except DomainError as exc:
        return _refused(request, case, exc)
    messages.success(request, "SFTP drop box revoked; open sessions are closed.")
    return redirect("console-case-detail", number=case.number)
