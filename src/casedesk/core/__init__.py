"""The ground floor: errors, the one clock, rate limits, middleware, hand-written rows.

May import: ``policy`` only (and Django). Everything else may import it.
"""
