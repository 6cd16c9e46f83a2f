"""The page kit that the two page interfaces (``portal`` and ``console``) share and neither owns.

Here: the access decorators and the case lookup (``access``), domain-error → form/HTTP
mapping (``errors``), text limits and form mixins (``forms``), widgets, the open-case form
both interfaces show (``case_open``), the profile forms (``profile``), the viewer's time zone
and the styled 403/405 pages (``middleware``), the case-page panels (``templatetags``), the
base and error templates and the CSS and JavaScript.

May import: the domain apps, ``policy`` and ``core``. Never an interface package
(``portal``, ``console``, ``api``): they import this, not the other way round.
"""
