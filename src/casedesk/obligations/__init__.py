"""What customers owe support before it can help (G1): cutover notices per site, filed ahead
by the lead time ``policy.cutover`` sets, listed for engineers by region and date, and shown on
a case opened for that site during the cutover window.

Here: ``models``, ``services`` (every write), ``selectors`` (every read, scoped to the
viewer's organisation for contacts). No pages.

May import: the other domain apps (``accounts``, ``cases``, ``sla``), ``policy`` and ``core``.
Never an interface or the page kit.
"""
