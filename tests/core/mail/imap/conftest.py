"""The IMAP backend on real servers: Dovecot, and Cyrus and Courier where a test is marked
``@pytest.mark.servers(...)`` (tests/support/servers/)."""

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
