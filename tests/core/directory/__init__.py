"""Tests of core/directory: LDAP lookup and publishing on a real slapd."""
