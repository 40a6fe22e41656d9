"""Automatic setup: a small Internet on loopback, DNS and HTTPS (tests/support/internet.py)."""

from tests.support.internet import _internet, cli_internet, internet  # noqa: F401 (fixtures)
