"""Tests of core/cms: CMS SignedData and EnvelopedData, signing and encrypting, the fast readers."""
