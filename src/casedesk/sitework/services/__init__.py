"""Every write of site work: visits (``visits``), routings out of support (``routing``) and
cutover diagrams (``diagrams``), each one transaction."""

from .diagrams import cutover_diagram_store, cutover_file_with_diagram
from .routing import case_route_out_of_scope
from .visits import VisitDraft, site_visit_decide, site_visit_request

__all__ = [
    "VisitDraft",
    "case_route_out_of_scope",
    "cutover_diagram_store",
    "cutover_file_with_diagram",
    "site_visit_decide",
    "site_visit_request",
]
