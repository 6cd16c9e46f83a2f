"""Reports managers run the support organisation with (I1): service levels against the C3
targets, computed from the milestones and cases the desk records.

Here: ``selectors`` (the service-level report, and ``report_scope``: what a viewer may
see), ``backlog`` (open cases by dimension and the recorded trend), ``periods``
(day/week/month/quarter buckets), ``models`` (nightly ``BacklogSnapshot`` rows) and
``services`` (the daily deadline that writes them). No pages: the interfaces render these.

May import: the domain apps (``cases``, ``sla``, ``accounts``), ``policy`` and ``core``.
Never an interface package or the page kit.
"""
