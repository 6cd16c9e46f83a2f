"""Engineers' knowledge screens (F3, F4, F6): write, review and publish articles and
self-help pages, draft one from a solved case, and the console's one search.

May import: the page kit ``casedesk.web``, the domain apps, ``policy`` and ``core``.
"""
