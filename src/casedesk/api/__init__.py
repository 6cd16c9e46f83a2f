"""The REST API under ``/api/v1`` (django-ninja) and the HTTP file-transfer protocols.

``routers/`` and ``schemas/`` per resource; ``transfer/`` tus uploads and downloads;
``security`` is the one module that authenticates (bearer token or page session) for all
of them. May import: the domain apps, ``policy``, ``core``. Never ``portal``, ``console`` or
``web``.
"""
