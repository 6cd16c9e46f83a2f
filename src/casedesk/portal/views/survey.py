"""The public survey page (F7): no login, the signed token is the key."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from casedesk.core import clock
from casedesk.core.errors import DomainError, NotFound
from casedesk.notifications.selectors import survey_answered
from casedesk.notifications.services import survey_respond
from casedesk.notifications.survey import survey_invitation
from casedesk.portal.forms import SurveyForm
from casedesk.web.errors import add_domain_error

TOKEN_MAX = 400


@require_http_methods(["GET", "POST"])
def survey(request: HttpRequest, token: str) -> HttpResponse:
    """No login: the token is the key. It shows the case number and subject, nothing else."""
    if len(token) > TOKEN_MAX:
        raise Http404("No such survey.")
    try:
        invitation = survey_invitation(token, now=clock.now())
    except NotFound:
        raise Http404("No such survey.") from None
    context = {"case": invitation.case, "done": survey_answered(invitation)}
    form = SurveyForm(request.POST or None)
    status = 200
    if request.method == "POST" and not context["done"]:
        if form.is_valid():
            try:
                survey_respond(
                    invitation=invitation,
                    score=form.cleaned_data["score"],
                    solved=form.cleaned_data["solved"],
                    comment=form.cleaned_data["comment"],
                    now=clock.now(),
                )
                context.update(done=True, thanks=True)
            except DomainError as exc:
                status = add_domain_error(form, exc)
        else:
            status = 400
    elif request.method == "POST":
        status = 409
    context["form"] = form
    response = render(request, "portal/survey.html", context, status=status)
    # The site-wide "same-origin" referrer policy keeps the token from other sites;
    # "no-referrer" would make browsers send "Origin: null" and fail the CSRF check.
    response["Cache-Control"] = "no-store"
    return response
