"""The HTTP file-transfer protocols: tus resumable uploads (D1) and attachment downloads (D3, D4).

They are interfaces like the REST routers: they parse the protocol, authenticate through
``casedesk.api.security`` (the one module that turns a bearer token or a page session into a
user) and call the ``files`` domain's services and selectors.
"""
