"""The console's case screens: the case page, one view per action, opening a case for a caller."""
