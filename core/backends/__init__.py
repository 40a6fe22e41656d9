"""Mail backends behind one protocol: IMAP, Maildir; SMTP for sending."""
