"""The chain-validation interface the write path and the doctor use.

A Protocol, so that choosing recipients' certificates does not load pyhanko-certvalidator until
a validator (``trust.ChainValidator``) is actually built.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Literal, Protocol

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from smimetui.core.pki.chain import ChainStatus


class _ChainResult(Protocol):
    @property
    def status(self) -> ChainStatus: ...

    @property
    def problems(self) -> tuple[str, ...]: ...


class Validator(Protocol):
    """The part of trust.ChainValidator used here (it takes asn1crypto certificates)."""

    def validate(
        self,
        signer: asn1_x509.Certificate,
        other_certs: Sequence[asn1_x509.Certificate] = (),
        *,
        moment: dt.datetime | None = None,
        usage: Literal["sign", "encrypt"] = "sign",
    ) -> _ChainResult: ...


def to_asn1(cert: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))
