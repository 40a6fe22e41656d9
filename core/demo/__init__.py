"""The demo home (smimetui --demo): a demo CA, digital IDs, contacts and sample mail."""
