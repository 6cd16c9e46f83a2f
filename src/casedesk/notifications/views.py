"""The public survey page (F7, by signed token) and the managers' results page (I1)."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from casedesk.accounts.models import Role
from casedesk.core import clock
from casedesk.core.errors import DomainError, NotFound
from casedesk.portal.web import add_domain_error, support_view

from .forms import SurveyForm
from .selectors import survey_answered, survey_results
from .services import survey_respond
from .survey import survey_invitation

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
    response = render(request, "notifications/survey.html", context, status=status)
    # The site-wide "same-origin" referrer policy keeps the token from other sites;
    # "no-referrer" would make browsers send "Origin: null" and fail the CSRF check.
    response["Cache-Control"] = "no-store"
    return response


@support_view
def survey_results_page(request: HttpRequest) -> HttpResponse:
    """Survey results for managers and care; other roles see the same 404 as a missing page."""
    if request.user.role not in (Role.MANAGER, Role.CARE):  # type: ignore[union-attr]
        raise Http404("Not found.")
    results = survey_results()
    peak = max((n for _, n in results.distribution), default=0) or 1
    bars = [
        {"score": score, "count": n, "width": round(300 * n / peak), "y": (5 - score) * 28}
        for score, n in results.distribution
    ]
    return render(
        request,
        "notifications/console_surveys.html",
        {"results": results, "bars": bars, "nav": "surveys"},
    )
