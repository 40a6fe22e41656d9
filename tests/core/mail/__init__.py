"""Tests of core/mail: the backend factory, SMTP, role names."""
