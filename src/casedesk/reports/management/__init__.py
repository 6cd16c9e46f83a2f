"""Management commands of the reports app (backfilling rollups)."""
