"""CMS (RFC 5652 and the S/MIME profile): DER, algorithms, SignedData, EnvelopedData,
signing and encrypting. Knows nothing of the application: no contacts, settings or mail."""
