"""Customer Care's screens: the inbound-mail care queue (E3), SFTP drop boxes (D2) and
customer feedback from the portal (F7)."""
