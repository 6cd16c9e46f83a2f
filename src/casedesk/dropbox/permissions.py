"""Who may do what with a drop box (D2, A4, security rule 3).

Customer Care opens and revokes drop boxes ("temporary SFTP accounts" are care's job).
Whoever may see the case sees its active drop box's login (its contact, colleagues with
visibility, support staff); to anyone else the case and its drop box do not exist.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from casedesk.accounts.models import Role
from casedesk.cases.permissions import can_view_case

if TYPE_CHECKING:
    from casedesk.accounts.models import User
    from casedesk.cases.models import Case


def can_manage_dropbox(user: User) -> bool:
    return bool(user.is_active and user.role == Role.CARE)


def can_see_dropbox(user: User, case: Case) -> bool:
    return can_view_case(user, case)
