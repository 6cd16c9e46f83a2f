"""Template tags of the page kit: formatting filters and the case-page panels (files, clock,
escalation, drop box, e-mail on the timeline), each fed plain data by a domain selector."""
