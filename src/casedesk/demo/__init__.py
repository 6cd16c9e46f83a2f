"""The demo desk that ``casedesk demo`` seeds: organisations, staff, catalogue, cases.

Builds everything through the domain services, so the demo exercises the real rules. An entry
point: it may import any domain app; no package imports it.
"""
