"""Work at a customer's site and the limits of support (G1, G4-G6): site visits requested on a
case, approved by a manager and billed by ``policy.site_visits``; cases routed out of support
(customisations to professional services, third-party products not bought from us to their
vendor) by ``policy.scope``; and the network topology diagram of a cutover notice, stored like
case files and served only to who may see the notice. Also ``timeline``: the case timeline
with these records (and cutover notices) merged in, each with its visibility.

Here: ``models``, ``services`` (every write), ``selectors`` (every read, scoped), ``timeline``.
No pages. May import the other domain apps (``accounts``, ``cases``, ``files``,
``obligations``), ``policy`` and ``core``; never an interface or the page kit.
"""
