"""Committed corpora shared by several folders' tests."""

from pathlib import Path

# Header shapes of real providers (Gmail, Outlook, ...), read by the read path, the CLI, the
# TUI and the LMTP delivery tests.
TRANSPORT = Path(__file__).with_name("corpus_transport")
