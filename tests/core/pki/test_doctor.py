"""The doctor explains, in words, what is wrong (or right) with a digital ID."""

from __future__ import annotations

import datetime as dt

from smimetui.core.pki import makecerts as pki
from smimetui.core.pki.doctor import Severity, check_identity


def _texts(report, severity: Severity) -> str:  # type: ignore[no-untyped-def]
    return " ".join(f.text for f in report.findings if f.severity is severity)


def test_healthy_id(fixture_pki, validator) -> None:  # type: ignore[no-untyped-def]
    report = check_identity(
        fixture_pki.alice.cert,
        [fixture_pki.intermediate.cert],
        email="alice@example.org",
        validator=validator,
    )
    assert report.healthy and report.can_sign and report.can_encrypt
    assert "trusted root Fixture Root CA" in _texts(report, Severity.OK)


def test_missing_intermediate_is_named(fixture_pki, validator) -> None:  # type: ignore[no-untyped-def]
    report = check_identity(fixture_pki.alice.cert, [], validator=validator)
    assert not report.healthy
    assert "Fixture Intermediate CA" in _texts(report, Severity.PROBLEM)


def test_expired(fixture_pki, validator) -> None:  # type: ignore[no-untyped-def]
    report = check_identity(
        fixture_pki.carol_expired.cert, [fixture_pki.intermediate.cert], validator=validator
    )
    assert "expired on" in _texts(report, Severity.PROBLEM)


def test_expires_soon(fixture_pki, validator) -> None:  # type: ignore[no-untyped-def]
    soon = pki.make_leaf(
        fixture_pki.intermediate, "x@example.org", not_after=pki.utcnow() + dt.timedelta(days=10)
    )
    report = check_identity(soon.cert, [fixture_pki.intermediate.cert], validator=validator)
    assert report.healthy
    assert "expires in" in _texts(report, Severity.WARNING)


def test_wrong_eku(fixture_pki, validator) -> None:  # type: ignore[no-untyped-def]
    report = check_identity(
        fixture_pki.dave_wrong_eku.cert, [fixture_pki.intermediate.cert], validator=validator
    )
    assert "emailProtection" in _texts(report, Severity.PROBLEM)


def test_address_not_in_certificate(fixture_pki, validator) -> None:  # type: ignore[no-untyped-def]
    report = check_identity(
        fixture_pki.alice.cert,
        [fixture_pki.intermediate.cert],
        email="mallory@example.org",
        validator=validator,
    )
    assert "not mallory@example.org" in _texts(report, Severity.PROBLEM)


def test_sign_only_and_small_key(fixture_pki) -> None:  # type: ignore[no-untyped-def]
    weak = pki.make_leaf(None, "w@example.org", key_kind="rsa1024", usage="sign")
    report = check_identity(weak.cert)
    assert report.can_sign and not report.can_encrypt
    assert "1024 bits" in _texts(report, Severity.PROBLEM)
    assert "cannot" in _texts(report, Severity.WARNING) or "not receive" in _texts(
        report, Severity.WARNING
    )


def test_self_signed_is_a_warning(fixture_pki, validator) -> None:  # type: ignore[no-untyped-def]
    report = check_identity(fixture_pki.self_signed.cert, validator=validator)
    assert "self-signed" in _texts(report, Severity.WARNING)
