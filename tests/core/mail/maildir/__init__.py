"""Tests of core/mail/maildir: the Maildir backend."""
