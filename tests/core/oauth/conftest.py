"""The OAuth2 tests: the loopback OAuth2 server, a Dovecot that checks its tokens, an SMTP server
that does the same (tests/support/oauth.py), and an in-memory keyring."""

from tests.support.keyring import memory_keyring  # noqa: F401 (fixture)
from tests.support.oauth import auth, module_auth, oauth_dovecot, oauth_smtp  # noqa: F401 (fixtures)
