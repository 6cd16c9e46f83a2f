"""Managers' and care's screens: escalations worked to an outcome (C6), survey results (F7,
I1) and policy versions (C1-C9: list, view, new version from one with a preview)."""
