"""Textual user interface of smimetui."""
