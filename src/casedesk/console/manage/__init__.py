"""Managers' screens: escalations worked to an outcome (C6) and survey results (F7, I1)."""
