"""What support does not support, and where it sends the customer instead (G5, G6).

The handbook's answers: a customisation is never supported and goes to professional services
(G6); a third-party product is supported only when it was bought from the vendor, otherwise the
customer goes to the third party that sold or made it (G5). ``scope_routing`` gives the verdict
and the words the customer reads on the case.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class OutOfScope(StrEnum):
    CUSTOMISATION = "customisation"
    THIRD_PARTY = "third_party"

    @property
    def label(self) -> str:
        return {
            OutOfScope.CUSTOMISATION: "Customisation",
            OutOfScope.THIRD_PARTY: "Third-party product not bought from us",
        }[self]


PROFESSIONAL_SERVICES = "Professional Services"


@dataclass(frozen=True)
class ScopeVerdict:
    routed: bool
    route_to: str
    answer: str


def scope_routing(
    kind: OutOfScope,
    *,
    product: str = "",
    third_party: bool = False,
    bought_from_vendor: bool = False,
    vendor: str = "",
) -> ScopeVerdict:
    """Route the case out of support, or say why it stays (a third-party product bought
    from us is supported like our own)."""
    if kind is OutOfScope.CUSTOMISATION:
        what = f" of {product}" if product else ""
        return ScopeVerdict(
            True,
            PROFESSIONAL_SERVICES,
            f"Customisations{what} are not covered by technical support (G6). We have passed "
            f"your request to {PROFESSIONAL_SERVICES}, who will contact you about a quote.",
        )
    if not third_party:
        return ScopeVerdict(
            False, "", f"{product or 'This product'} is our own product, so support covers it."
        )
    if bought_from_vendor:
        return ScopeVerdict(
            False,
            "",
            f"{product or 'This third-party product'} was bought from us, so support covers it "
            "(G5).",
        )
    who = vendor.strip() or "its vendor"
    return ScopeVerdict(
        True,
        who,
        f"{product or 'This product'} is a third-party product that was not bought from us, so "
        f"we cannot support it (G5). Please contact {who}, who supplied it.",
    )
