"""Keys and certificates: your digital IDs (keystore, passphrases, life cycle, doctor, smart
cards), trust anchors and chain validation, and the contacts' certificates."""
