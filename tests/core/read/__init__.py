"""Tests of core/read: the read path, from the raw bytes to the SecurityReport."""
