"""What an IMAP or SMTP login does with a password the server refused."""

from __future__ import annotations

from collections.abc import Callable


def forget_refused(password: Callable[[], str]) -> None:
    """Tell a source that remembers the password (``factory.PasswordSource``) that the server
    refused it, so the next login asks again instead of repeating a typo until restart; a plain
    callable has nothing to forget."""
    forget = getattr(password, "forget", None)
    if callable(forget):
        forget()
