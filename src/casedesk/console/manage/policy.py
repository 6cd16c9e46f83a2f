"""Policy versions for care admins and managers (C1-C9; issue 11 item 6).

The list of versions, one version read-only, and "new version from this one": a form with
every calendar, hour, target, follow-up step, escalation threshold and retention period,
a preview of what it means for a case opened now, and saving as the next version through
``sla.services.policy_version_save``. Versions are immutable; cases keep theirs (C1).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from casedesk.accounts.models import Role
from casedesk.console.manage.policy_forms import PolicyVersionForm
from casedesk.core import clock
from casedesk.policy.editing import format_dates, format_hours, policy_preview
from casedesk.sla.selectors import current_policy_number, policy, policy_versions
from casedesk.sla.services import policy_version_save
from casedesk.web.access import support_view

EDITORS = (Role.CARE, Role.MANAGER)


def _editor(request: HttpRequest) -> None:
    """Care admins and managers; engineers get the 404 of a page that does not exist."""
    if request.user.role not in EDITORS:  # type: ignore[union-attr]
        raise Http404("Not found.")


def _number_or_404(number: int) -> int:
    if number != 0 and number not in {v.number for v in policy_versions()}:
        raise Http404("No such policy version.")
    return number


@support_view
def policy_list(request: HttpRequest) -> HttpResponse:
    _editor(request)
    return render(
        request,
        "console/manage/policy_list.html",
        {"versions": policy_versions(), "current": current_policy_number(), "nav": "policy"},
    )


@support_view
def policy_detail(request: HttpRequest, number: int) -> HttpResponse:
    _editor(request)
    data = policy(_number_or_404(number)).to_dict()
    regions = [
        {
            "label": r["label"],
            "tz": r["calendar"]["tz"],
            "hours": format_hours(r["calendar"]["hours"]),
            "extra": format_dates(r["calendar"].get("extra_holidays", [])),
            "removed": format_dates(r["calendar"].get("removed_holidays", [])),
            "local": r["local_hours_only"],
        }
        for r in data["regions"]
    ]
    return render(
        request,
        "console/manage/policy_detail.html",
        {
            "number": number,
            "data": data,
            "regions": regions,
            "current": current_policy_number(),
            "version": next((v for v in policy_versions() if v.number == number), None),
            "nav": "policy",
        },
    )


@support_view
@require_http_methods(["GET", "POST"])
def policy_new(request: HttpRequest, number: int) -> HttpResponse:
    """A new version from version ``number``: preview (nothing saved) or save."""
    _editor(request)
    source = policy(_number_or_404(number)).to_dict()
    now = clock.now()
    form = PolicyVersionForm(request.POST or None, source=source)
    context: dict[str, Any] = {"form": form, "number": number, "nav": "policy", "now": now}
    if request.method == "POST":
        if not form.is_valid() or form.policy is None or form.data_out is None:
            return render(request, "console/manage/policy_edit.html", context, status=400)
        if request.POST.get("save"):
            saved = policy_version_save(
                data=form.data_out,
                note=form.cleaned_data["note"],
                actor=request.user,
                now=now,
            )
            messages.success(
                request,
                f"Saved as policy version {saved.number}; cases opened from now on use it, "
                "open cases keep theirs.",
            )
            return redirect("console-policy-detail", number=saved.number)
        region, priority, down = form.preview_case()
        context["preview"] = policy_preview(
            form.policy, region=region, priority=priority, production_down=down, now=now
        )
        context["preview_case"] = {
            "region": dict(form.fields["preview_region"].choices).get(region, region),
            "priority": "Production Down" if down else priority.title(),
        }
    return render(request, "console/manage/policy_edit.html", context)
