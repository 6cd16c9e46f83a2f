"""What customers owe support before it can help: cutover notices per site (G1), filed ahead
by the lead time ``policy.cutover`` sets; VoIP readiness assessments per site (G2), each RTP
stream checked against ``policy.voip``, typed or read from a CSV/JSON measurement file, with
the "VoIP readiness pending" hold of VoIP cases until a site passes; and change-control
records per site (G3), shown on every case of that site.

Here: ``models``; writes in ``services`` (cutovers), ``voip`` (assessments, the hold) and
``changes``; reads in ``selectors`` (cutovers) and ``sites`` (sites, readiness, changes,
the case-timeline entries), every one scoped to the viewer's organisation for contacts;
``measurements`` reads measurement files. No pages.

May import: the other domain apps (``accounts``, ``cases``, ``sla``), ``policy`` and ``core``.
Never an interface or the page kit.
"""
