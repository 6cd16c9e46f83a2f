"""Opening a case (B2, B3, A5, A6, A8): the draft, its checks against the contract and
the catalogue, the new row and its first timeline event."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db import transaction

from casedesk.accounts.models import Contract, Role, User
from casedesk.accounts.selectors import contact_may_open_cases, contract_maintenance
from casedesk.core.errors import NotPermitted, PolicyViolation
from casedesk.core.rows import Inserter
from casedesk.policy.lifecycle import version_support
from casedesk.policy.priority import EmergencyCriterion, Priority, production_down_decision
from casedesk.policy.sla import urgency_rank
from casedesk.policy.transitions import Status, SubStatus
from casedesk.sla.alerts import unassigned_alert_schedule

from ..models import Case, Channel, EventKind, Kind, SubType
from ..selectors import OpeningFacts, opening_facts
from ._common import _event, _reject_control_characters


@dataclass(frozen=True, kw_only=True)
class CaseDraft:
    """What opening a case needs (B2); interfaces build it from a form or JSON body."""

    contract_id: int
    subject: str
    description: str
    kind: str = Kind.SUPPORT
    sub_type: str = SubType.PROBLEM
    admin_category: str = ""
    product_id: int | None = None
    major_version_id: int | None = None
    patch_id: int | None = None
    environment: str = "prod"
    priority: str = Priority.LOW
    production_down: bool = False
    emergency_criterion: str = ""
    business_impact: str = ""
    expected_behaviour: str = ""
    circumstances: str = ""
    frequency: str = ""
    scope: str = ""
    recent_changes: str = ""
    load_at_time: str = ""


# Written on every opening; see core.rows.Inserter.
_CASES = Inserter(Case)


def _resolve_product(draft: CaseDraft, contract: Contract, facts: OpeningFacts) -> dict[str, Any]:
    """The catalogue entries named by the draft, checked against each other and the contract.

    ``facts`` already holds them, each only if it fits the one before (version of this
    product, patch of this version), so this is decision only, no queries.
    """
    if draft.kind == Kind.ADMIN:
        return {}
    if draft.product_id is None:
        raise PolicyViolation("Choose the product.", field="product")
    product = facts.product
    if product is None:
        raise PolicyViolation("Unknown product.", field="product")
    if facts.contract_lists_products and not facts.contract_covers_product:
        if product.third_party:
            raise PolicyViolation(
                f"{product.name} was not bought from us, so we cannot support it (G5). Please "
                "contact its vendor.",
                field="product",
            )
        raise PolicyViolation(
            f"{product.name} is not covered by contract {contract.number}.", field="product"
        )
    version, patch = facts.major_version, facts.patch
    if draft.major_version_id is None:
        if draft.kind == Kind.SUPPORT:
            raise PolicyViolation("Choose the major version.", field="major_version")
    elif version is None:
        raise PolicyViolation(
            "That version is not a version of this product.", field="major_version"
        )
    if draft.patch_id is not None and patch is None:
        raise PolicyViolation("That patch does not belong to this version.", field="patch")
    return {
        "product": product,
        "product_group": product.group,
        "major_version": version,
        "patch": patch,
    }


def _check_draft(draft: CaseDraft) -> tuple[Priority, EmergencyCriterion | None]:
    _reject_control_characters(**{k: v for k, v in draft.__dict__.items() if isinstance(v, str)})
    if draft.kind not in Kind.values:
        raise PolicyViolation("Unknown case kind.", field="kind")
    if draft.kind == Kind.SUPPORT and draft.sub_type not in SubType.values:
        raise PolicyViolation("Choose Problem or Inquiry.", field="sub_type")
    if draft.kind == Kind.ADMIN and not draft.admin_category:
        raise PolicyViolation("Choose what the admin case is about.", field="admin_category")
    if not draft.subject.strip():
        raise PolicyViolation("A subject is required.", field="subject")
    if not draft.description.strip():
        raise PolicyViolation("Describe the problem.", field="description")
    try:
        priority = Priority(draft.priority)
        criterion = (
            EmergencyCriterion(draft.emergency_criterion) if draft.emergency_criterion else None
        )
    except ValueError:
        raise PolicyViolation(
            "Unknown priority or emergency criterion.", field="priority"
        ) from None
    verdict = production_down_decision(
        priority=priority, production_down=draft.production_down, criterion=criterion
    )
    if not verdict:
        raise PolicyViolation(verdict.reason, field="emergency_criterion")
    return priority, criterion


def _check_lifecycle(draft: CaseDraft, facts: OpeningFacts, now: dt.datetime) -> str:
    """T48 (policy.lifecycle), for every channel: a version past end of life refuses a
    support case (field error on ``major_version``); past end of support the case opens
    and the returned warning is said to the opener and kept on the *opened* event."""
    version = facts.major_version
    if version is None or (facts.end_of_support is None and facts.end_of_life is None):
        return ""
    verdict = version_support(
        version=str(version),
        end_of_support=facts.end_of_support,
        end_of_life=facts.end_of_life,
        today=now.date(),  # calendar dates in UTC, as the open-case form and contracts
        admin_case=draft.kind == Kind.ADMIN,
    )
    if not verdict.allowed:
        raise PolicyViolation(verdict.reason, field="major_version")
    return verdict.reason if verdict.warn else ""


@transaction.atomic
def case_open(
    *,
    contact: User,
    draft: CaseDraft,
    now: dt.datetime,
    opened_by: User | None = None,
    channel: str = Channel.WEB,
    linked_from: Case | None = None,
) -> Case:
    """Open a case for ``contact`` (B2, B3, A5, A6, A8); support may open one by phone."""
    opened_by = opened_by or contact
    if opened_by.pk != contact.pk and opened_by.role == Role.CONTACT:
        raise NotPermitted("Contacts open cases for themselves only.")
    facts = opening_facts(
        contact=contact,
        contract_id=draft.contract_id,
        product_id=draft.product_id,
        major_version_id=draft.major_version_id,
        patch_id=draft.patch_id,
    )
    verdict = contact_may_open_cases(contact, refused=facts.refused)
    if not verdict:
        raise PolicyViolation(verdict.reason)
    contract = facts.contract
    if contract is None:
        raise PolicyViolation("Choose one of the contracts you have access to.", field="contract")
    maintenance = contract_maintenance(contract, now)
    if not maintenance:
        raise PolicyViolation(maintenance.reason, field="contract")
    priority, criterion = _check_draft(draft)
    catalogue = _resolve_product(draft, contract, facts)
    lifecycle = _check_lifecycle(draft, facts, now)
    case = Case(
        kind=draft.kind,
        sub_type=draft.sub_type if draft.kind == Kind.SUPPORT else "",
        admin_category=draft.admin_category if draft.kind == Kind.ADMIN else "",
        # The contact's organisation row is usually loaded with the contact (session or
        # token lookup); handing it over saves the caller a query when it serialises.
        organisation=contact.organisation,
        contract=contract,
        site=contract.site,
        contact=contact,
        environment=draft.environment,
        deployment=contract.deployment,
        region=contract.region,
        language=contract.language,
        channel=channel,
        priority=priority,
        production_down=draft.production_down,
        urgency=urgency_rank(priority, draft.production_down),
        emergency_criterion=criterion.value if criterion else "",
        subject=draft.subject.strip(),
        description=draft.description.strip(),
        business_impact=draft.business_impact.strip(),
        expected_behaviour=draft.expected_behaviour.strip(),
        circumstances=draft.circumstances.strip(),
        frequency=draft.frequency,
        scope=draft.scope.strip(),
        recent_changes=draft.recent_changes.strip(),
        load_at_time=draft.load_at_time.strip(),
        status=Status.OPEN,
        sub_status=SubStatus.NEW,
        opened_at=now,
        updated_at=now,
        linked_from=linked_from,
        policy_version=facts.policy_number,
        **catalogue,
    )
    _CASES.insert(case)
    unassigned_alert_schedule(case=case, now=now)  # B, C2: the queue owner if nobody takes it
    _event(
        case,
        kind=EventKind.OPENED,
        actor=opened_by,
        now=now,
        body=case.description,
        data={
            "channel": channel,
            "priority": priority.value,
            "production_down": draft.production_down,
            "maintenance": maintenance.reason,
            **({"lifecycle": lifecycle} if lifecycle else {}),
        },
    )
    case.lifecycle_warning = lifecycle
    if linked_from is not None:
        _event(
            linked_from,
            kind=EventKind.LINKED,
            actor=opened_by,
            now=now,
            data={"case": case.number, "direction": "follow-on"},
        )
    return case
