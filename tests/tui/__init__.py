"""Tests of tui/: the Textual app through Pilot, and its snapshots."""
