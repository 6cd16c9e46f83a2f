"""Settings (``CASEDESK_*`` environment variables), the URL map and the WSGI entry point.

An entry point like ``cli``: it may import any package, and no package imports it.
"""
