"""Screens and modal dialogs of the mail reader."""
