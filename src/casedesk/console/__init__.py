"""The support console: the screens of engineers, Customer Care and managers, by audience.

``queue/`` the engineers' queue; ``cases/`` the case page, its actions and opening a case for
a caller; ``care/`` the inbound-mail care queue and SFTP drop boxes; ``manage/`` escalations
and survey results; ``account/`` each staff member's own profile. Templates live in
``templates/console/``.

May import: the page kit ``casedesk.web``, the domain apps, ``policy`` and ``core``. Never
another interface (``portal``, ``api``).
"""
