"""Reports managers run the support organisation with (I1): service levels against the C3
targets, computed from the milestones and cases the desk records.

Here: ``selectors`` (report queries, always scoped to what the viewer may see) and
``periods`` (day/week/month/quarter buckets). No pages: the console and portal render these.

May import: the domain apps (``cases``, ``sla``, ``accounts``), ``policy`` and ``core``.
Never an interface package or the page kit.
"""
