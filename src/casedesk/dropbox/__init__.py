"""Temporary SFTP drop boxes per case (D2, C8): accounts, sealed passwords, the jail, and the
asyncssh server (``server``, ``sftp_session``) that ``casedesk sftp`` and the demo run.

The server is this domain's protocol adapter: it calls the services; nothing else here imports it.
May import: the other domain apps, ``policy`` and ``core``. Never an interface.
"""
