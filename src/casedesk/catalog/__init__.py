"""The product catalogue: product groups, products, major versions and patches (B2).

May import: ``core``. Never an interface (it imports nothing of casedesk today).
"""
