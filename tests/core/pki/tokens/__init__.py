"""Tests of core/pki/tokens: PKCS#11 smart cards, on SoftHSM2."""
