"""Tests of core/settings: the home, config.toml, accounts."""
