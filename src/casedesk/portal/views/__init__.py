"""Portal views by subject: cases (list, page, actions), opening, escalation, account, survey."""
