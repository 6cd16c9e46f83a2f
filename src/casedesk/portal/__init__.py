"""The customer portal: the screens contacts use (cases, escalation requests, profile, survey).

Views (``views/``), page forms (``forms.py``) and templates (``templates/portal/``) only;
every rule they apply comes from a domain app's services and selectors.

May import: the page kit ``casedesk.web``, the domain apps, ``policy`` and ``core``. Never
another interface (``console``, ``api``).
"""
