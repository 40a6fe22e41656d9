"""LDAP directories: a real slapd with the fixture PKI's people (tests/support/ldap.py)."""

from tests.support.ldap import corp, ldap_world, trusted_home  # noqa: F401 (fixtures)
