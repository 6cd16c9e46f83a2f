"""The API answers as its OpenAPI document says, for every role (issue 15 item 16; B5, A2).

Schemathesis reads the live ``/api/v1/openapi.json``, generates requests for every operation
— ones that fit the schema and ones that break it — and sends them over HTTP to a running
server, with no token and with a contact's, an engineer's, care's and a manager's. Every
answer must be no 5xx, a status the operation declares, the declared content type and body
shape; input that breaks the schema must be refused with a 4xx. The run is bounded and
deterministic: a few examples per operation and mode, derandomized, no example database.
"""

from __future__ import annotations

import io
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from casedesk.accounts.services import api_token_create
from casedesk.files.models import Source
from casedesk.files.services import attachment_store
from casedesk.phone.services import call_queued, telephony_token_create
from tests.knowledge.conftest import publish
from tests.resources.conftest import build_resources

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    negative_data_rejection,
]
EXAMPLES = 6
BOUNDED = settings(
    max_examples=EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    phases=[Phase.explicit, Phase.generate, Phase.shrink],
    suppress_health_check=list(HealthCheck),
)


def _run(strategy: Any, headers: dict[str, str]) -> None:
    @BOUNDED
    @given(case=strategy)
    def check(case: Any) -> None:
        case.call_and_validate(headers=headers, checks=CHECKS)

    check()


def _site_work(world: Any) -> tuple[Any, Any]:
    """A cutover notice of alice's and a pending site visit on her case (issue 14)."""
    import datetime as dt

    from casedesk.cases.services import case_mark_all_info_provided
    from casedesk.obligations.services import CutoverDraft, cutover_file
    from casedesk.sitework.services import VisitDraft, site_visit_request

    start = world.now + dt.timedelta(days=30)
    notice = cutover_file(
        actor=world.alice,
        site=world.acme_contract.site,
        draft=CutoverDraft(
            kind="new_install",
            technician="t",
            product_line="p",
            installation_date=start.date(),
            cutover_start=start,
            cutover_end=start + dt.timedelta(hours=1),
            site_contact="s",
        ),
        now=world.now,
    )
    case_mark_all_info_provided(case=world.alice_case, actor=world.engineer, now=world.now)
    visit = site_visit_request(
        case=world.alice_case,
        actor=world.engineer,
        draft=VisitDraft(reason="r", visit_on=world.now.date() + dt.timedelta(days=1)),
        now=world.now,
    )
    return notice, visit


@pytest.mark.parametrize("role", ["anonymous", "alice", "engineer", "care", "manager", "telephony"])
def test_every_operation_answers_as_documented(live_server, world, role):
    # R: B5 (bad input is a 4xx), A2 (tokens), issue 15 item 16
    headers: dict[str, str] = {}
    if role == "telephony":  # H1: the IVR's own token (issue 14)
        headers["Authorization"] = f"Bearer {telephony_token_create(name='fuzz', now=world.now)}"
    elif role != "anonymous":
        user = getattr(world, role)
        token = api_token_create(user=user, name="schemathesis", now=world.now)
        headers["Authorization"] = f"Bearer {token}"
    attachment = attachment_store(
        case=world.alice_case,
        actor=world.alice,
        filename="trace.log",
        stream=io.BytesIO(b"trace\n"),
        source=Source.BROWSER,
        now=world.now,
    )
    # Besides drawn path parameters, ones that name real objects, so that requests get past
    # the lookup to validation and the services.
    call_queued(now=world.now, caller=world.alice, external_id="fuzz-1")
    res = build_resources(world)
    article = publish(world, "Fuzzed article", "Body")
    notice, visit = _site_work(world)
    known = {
        "notice_id": notice.pk,
        "visit_id": visit.pk,
        "number": world.alice_case.number,
        "attachment_id": attachment.pk,
        "article_id": article.pk,
        "product_id": world.catalogue["product"].pk,
        "download_id": res.dialer_file.pk,
        "licence_id": res.acme_licence.pk,
        "call_id": "fuzz-1",
        "site_id": world.acme_contract.site.pk,
    }
    schema = schemathesis.openapi.from_url(f"{live_server.url}/api/v1/openapi.json")
    failures: list[str] = []
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1
        names = {p.name for p in operation.path_parameters}
        strategies = [operation.as_strategy(mode) for mode in schemathesis.GenerationMode]
        if names:
            strategies.append(operation.as_strategy(path_parameters={k: known[k] for k in names}))
        try:
            _run(st.one_of(strategies), headers)
        # Every operation is tried and all failures reported (a FailureGroup of several
        # checks is a BaseExceptionGroup).
        except (Exception, BaseExceptionGroup) as exc:
            failures.append(f"{operation.label}: {exc}")
    # Every operation was fuzzed: a new route raises this count, a lost one lowers it.
    # 24 + 5 reports (13) + 5 telephony (14) + 9 knowledge/resources (12) + 7 sites (14: G2,
    # G3) + 10 site work (14: G1, G4-G6)
    assert operations == 60
    assert not failures, "\n\n".join(failures)
