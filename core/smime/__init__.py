"""S/MIME: read path (verify, decrypt, trust) and write path (sign, encrypt)."""
