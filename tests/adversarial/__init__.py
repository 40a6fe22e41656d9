"""Attacks on the read path from the outside: hostile mail, certificates and terminal text."""
