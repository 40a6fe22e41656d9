"""Real servers started on loopback for tests and benchmarks: Dovecot, Cyrus, Courier (IMAP),
aiosmtpd (SMTP), slapd (LDAP), SoftHSM2 (PKCS#11), an OAuth2 server, DNS and HTTPS."""
