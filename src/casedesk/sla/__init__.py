"""The clock of a case: policy versions, SLA milestones, follow-up timers, retention (C1-C9).

Deadline handlers for warnings, breaches, follow-ups and the purge; ``case_clock`` is the plain-
data panel both case pages show. May import: the other domain apps, ``policy`` and ``core``.
Never an interface.
"""
