"""The write path: the aiosmtpd SMTP servers (tests/support/servers/smtp.py) for delivery."""

from tests.support.servers.smtp import (  # noqa: F401 (fixtures)
    closed_port,
    hanging_port,
    smtp,
    smtp_servers,
)
