"""The phone desk (H1, C3): calls as records — queued, answered, ended, the caller identified
by support PIN or not, the engineer, the cases found or opened, the emergency flag — and the
hold time of each call against the C3 targets (``policy.holdtime``).

Here: ``models``, ``services`` (every write), ``selectors`` (every read). No pages: the
console's phone screen and the telephony API show these.

May import: the other domain apps (``accounts``, ``cases``, ``sla``), ``policy`` and ``core``.
Never an interface or the page kit.
"""
