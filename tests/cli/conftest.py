"""The command line, run through ``main([...])``, against the same real servers as the core
tests (tests/support/): IMAP, SMTP, LDAP, OAuth2 and the autoconfig Internet."""

from tests.support.internet import _internet, cli_internet, internet  # noqa: F401 (fixtures)
from tests.support.keyring import memory_keyring  # noqa: F401 (fixture)
from tests.support.ldap import corp, ldap_world, trusted_home  # noqa: F401 (fixtures)
from tests.support.oauth import auth, module_auth, oauth_dovecot, oauth_smtp  # noqa: F401 (fixtures)
from tests.support.servers.imap import (  # noqa: F401 (fixtures and the servers mark)
    cache,
    courier_server,
    cyrus_server,
    dovecot,
    mail_user,
    make_backend,
    pytest_generate_tests,
    server,
    server_kind,
    user_without_trash,
)
from tests.support.servers.smtp import (  # noqa: F401 (fixtures)
    closed_port,
    hanging_port,
    smtp,
    smtp_servers,
)
