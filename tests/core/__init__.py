"""Tests of core/: tests/core/X/ holds the tests of core/X/ (plain pytest, no Textual)."""
