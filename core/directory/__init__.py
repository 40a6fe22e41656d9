"""Certificate directories (LDAP): the configured servers, lookups, publishing your certificate."""
