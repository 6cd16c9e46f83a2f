"""``casedesk manage reports_rollup``."""
