"""Key sizes that no longer protect a signature: RSA and DSA below 2048 bits, EC below P-256.

NIST SP 800-57 Part 1 (and the CA/Browser Forum's S/MIME Baseline Requirements, §6.1.5) set
2048-bit RSA and P-256 as the least a certificate may use; a smaller key can be factored or
solved, and whoever does that can sign as its owner.  Like a weak digest, a weak key is a
problem in words, for the signer and for every certificate of the chain.
"""

from __future__ import annotations

from collections.abc import Sequence

from asn1crypto import x509 as asn1_x509

from smimetui.core.pki.chain import ChainLink
from smimetui.core.sanitize import clean_line

MIN_RSA_BITS = 2048
MIN_EC_BITS = 256


def weak_key(cert: asn1_x509.Certificate) -> str | None:
    """'RSA 1024-bit', 'EC 224-bit' ... for a key below the minimum, else None."""
    try:
        key = cert.public_key
        algorithm = key.algorithm
        bits = key.bit_size
    except Exception:  # an unreadable key is the verifier's business, not a size
        return None
    if algorithm in ("rsa", "rsassa_pss", "dsa") and bits < MIN_RSA_BITS:
        return f"{algorithm.upper().replace('RSASSA_PSS', 'RSA-PSS')} {bits}-bit"
    if algorithm == "ec" and bits < MIN_EC_BITS:
        return f"EC {bits}-bit"
    return None


def weak_key_problems(signer: asn1_x509.Certificate, chain: Sequence[ChainLink]) -> list[str]:
    """A sentence for the signer's key and for each certificate of the chain that is too weak."""
    problems: list[str] = []
    found = weak_key(signer)
    if found:
        problems.append(
            f"The signer's key ({found}) is too small to be safe: whoever breaks it can sign "
            "as the signer, so do not rely on this signature."
        )
    signer_der = signer.dump()
    for link in chain:
        if not link.cert.der or link.cert.der == signer_der:
            continue
        try:
            cert = asn1_x509.Certificate.load(link.cert.der)
        except Exception:  # hostile DER: asn1crypto parses lazily, and raises many kinds
            continue
        found = weak_key(cert)
        if found:
            name = clean_line(link.cert.display_name, max_length=120)
            problems.append(
                f"The certificate of {name} in the signer's chain has a key ({found}) too small "
                "to be safe: whoever breaks it can issue certificates for anyone."
            )
    return problems
