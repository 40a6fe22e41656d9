"""The fast envelope reader builds exactly what the full parser builds, or declines.

Encrypted messages come from `openssl cms -encrypt` (every cipher, RSA PKCS#1 v1.5 and OAEP,
ECDH with several KDF hashes and key wraps, key identifiers, several recipients) and from
hypothesis mutations of them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from smimetui.core.cms import envelope
from smimetui.core.cms.envelope_fast import fast_parse
from tests.support.openssl import openssl, requires_openssl

pytestmark = [requires_openssl]

MIME = b"Content-Type: text/plain\r\n\r\nfast and full agree\r\n"


def _oaep(pad: Any) -> tuple[str, str, bytes | None] | None:
    if pad is None:
        return None
    return (type(pad._mgf._algorithm).__name__, type(pad._algorithm).__name__, pad._label)


def _normal(env: Any) -> tuple[Any, ...]:
    recipients = [
        (r.rid, r.rid.issuer_der, r.encrypted_key, _oaep(r.oaep), r.agreement, r.unsupported)
        for r in env.recipients
    ]
    return (env.info, recipients, env.cipher_name, env.params, env.ciphertext, env.mac, env.aad)


def _agree(der: bytes) -> bool:
    """True when the fast reader took it; then it must equal the full parser's result."""
    fast = fast_parse(der)
    if fast is None:
        return False
    assert _normal(fast) == _normal(envelope.parse_full(der))
    return True


def _encrypt(pki_dir: dict[str, Path], *args: str, recips: tuple[str, ...] = ("alice",)) -> bytes:
    return openssl(
        "cms",
        "-encrypt",
        "-binary",
        "-outform",
        "DER",
        *args,
        *(str(pki_dir[r]) for r in recips),
        data=MIME,
    )


VARIANTS = [
    ("-aes-256-cbc",),
    ("-aes-128-cbc",),
    ("-aes-192-cbc",),
    ("-aes-256-gcm",),
    ("-aes-128-gcm",),
    ("-aes-256-gcm", "-keyid"),
]


@pytest.fixture(scope="module")
def blobs(pki_dir: dict[str, Path]) -> list[bytes]:
    out = []
    for args in VARIANTS:
        for who in ("alice", "bob", "frank_p384"):
            out.append(_encrypt(pki_dir, *args, recips=(who,)))
        out.append(_encrypt(pki_dir, *args, recips=("alice", "bob")))
    oaep = ["-recip", str(pki_dir["alice"]), "-keyopt", "rsa_padding_mode:oaep"]
    out.append(_encrypt(pki_dir, "-aes-256-gcm", *oaep, recips=()))
    sha256 = [*oaep, "-keyopt", "rsa_oaep_md:sha256"]
    out.append(_encrypt(pki_dir, "-aes-256-cbc", *sha256, recips=()))
    ecdh = ["-recip", str(pki_dir["bob"]), "-keyopt", "ecdh_kdf_md:sha384"]
    out.append(_encrypt(pki_dir, "-aes-128-gcm", *ecdh, recips=()))
    out.append(_encrypt(pki_dir, "-aes-256-cbc", "-wrap", "aes128-wrap", recips=("bob",)))
    return out


def test_every_openssl_variant_is_read_alike(blobs: list[bytes]) -> None:
    taken = [_agree(der) for der in blobs]
    assert sum(taken) >= len(blobs) - 1, taken  # all but rare forms take the fast path


def test_what_it_declines_and_3des(pki_dir: dict[str, Path], blobs: list[bytes]) -> None:
    streamed = openssl(
        "cms", "-encrypt", "-binary", "-stream", "-outform", "DER", "-aes-256-cbc",
        pki_dir["alice"], data=MIME,
    )  # fmt: skip
    assert fast_parse(streamed) is None  # BER: the full parser reads it
    assert _agree(_encrypt(pki_dir, "-des3"))  # read alike; decryption adds the weak problem
    assert fast_parse(blobs[0] + b"\x00") is None
    assert fast_parse(blobs[0][:-1]) is None
    assert fast_parse(b"") is None


@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    which=st.integers(0, 50),
    edits=st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 255)), min_size=1, max_size=4),
)
def test_mutations_never_make_the_readers_disagree(
    blobs: list[bytes], which: int, edits: list[tuple[int, int]]
) -> None:
    der = bytearray(blobs[which % len(blobs)])
    for pos, value in edits:
        der[pos % len(der)] = value
    try:
        _agree(bytes(der))
    except AssertionError:
        raise
    except Exception:  # the full parser may reject what the fast one declined
        assert fast_parse(bytes(der)) is None
