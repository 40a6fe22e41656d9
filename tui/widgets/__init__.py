"""Widgets of the mail reader."""
