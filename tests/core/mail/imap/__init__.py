"""Tests of core/mail/imap: the IMAP backend on real Dovecot, Cyrus and Courier."""
