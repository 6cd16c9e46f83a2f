"""What the portal offers besides cases (F1, F2, F5, F7): the contact page (support lines
per region and centre, regional management, Production Down instructions), the resource
centre per product (releases, documents, downloads, end of support and end of life per
major version), licences per contract and site, and customer feedback routed to care.

Here: ``models``, ``services`` (every write: stored files, audited licence downloads,
feedback), ``selectors`` (every read, scoped to the contact's contracts), ``admin`` (care
edits all of it). No pages: the portal, console and API show these.

May import: ``accounts``, ``catalog``, ``files`` (its storage), ``policy`` and ``core``.
Never an interface or the page kit.
"""
