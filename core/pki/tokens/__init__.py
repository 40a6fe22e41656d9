"""Smart cards and tokens (PKCS#11): registered modules, the IDs on their tokens, keys that sign
and decrypt on the token without ever leaving it."""
