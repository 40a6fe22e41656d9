"""Tests of core/autoconfig: finding an account's servers on a loopback Internet."""
