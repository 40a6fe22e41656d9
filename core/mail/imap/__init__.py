"""The IMAP backend: imapclient plus a framing reader for bulk, and the SQLite header cache."""
