"""The knowledge base (F3, F4, T12): articles with their review workflow and revisions, the
self-help tree per product, votes and comments, the cases an article solved, and the
suggestions shown while a contact opens a case (deflection).

Here: ``models``, ``services`` (every write, one transaction each), ``selectors`` (every
read, scoped by ``policy.articles``), ``markdown`` (Markdown → sanitised HTML and text).
No pages: the portal and console show these.

May import: the other domain apps (``cases``, ``catalog``, ``accounts``, ``files`` for the
attachment storage), ``policy`` and ``core``. Never an interface or the page kit.
"""
