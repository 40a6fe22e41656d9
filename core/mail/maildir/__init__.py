"""The Maildir++ backend."""
