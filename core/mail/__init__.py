"""Mail stores and sending: the MailBackend/FolderIndex protocol, IMAP, Maildir, SMTP, outbox."""
