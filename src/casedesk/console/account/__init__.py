"""Each staff member's own account: details (name, phone, time zone, language) and API tokens
(A2). Changing and resetting the password are the shared pages under ``/password…``.
"""
