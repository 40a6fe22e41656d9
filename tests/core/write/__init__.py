"""Tests of core/write: composing, recipients, the outbox."""
