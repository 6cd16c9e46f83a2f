"""Customer Care's screens: the inbound-mail care queue (E3) and SFTP drop boxes (D2)."""
