"""Mail stores and senders: the aiosmtpd SMTP servers (tests/support/servers/smtp.py), an
in-memory keyring for the password sources."""

from tests.support.keyring import memory_keyring  # noqa: F401 (fixture)
from tests.support.servers.smtp import (  # noqa: F401 (fixtures)
    closed_port,
    hanging_port,
    smtp,
    smtp_servers,
)
