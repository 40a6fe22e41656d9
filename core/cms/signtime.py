"""The signingTime attribute (RFC 5652 §11.3) against the clock and the signer's certificate.

signingTime is only what the signer's software claims, but a claim that cannot be true is worth
saying: a time in the future, or a time when the signer's certificate was not valid (RFC 5280
§4.1.2.5: outside its validity the certificate vouches for nothing).
"""

from __future__ import annotations

import datetime as dt

from asn1crypto import x509 as asn1_x509

# Clocks drift and mail servers queue: a few minutes ahead is not worth a warning.
CLOCK_SKEW = dt.timedelta(minutes=15)


def _when(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")


def signing_time_problems(
    signing_time: dt.datetime | None,
    signer: asn1_x509.Certificate,
) -> list[str]:
    """Sentences for a signingTime in the future or outside the signer certificate's validity."""
    if signing_time is None:
        return []
    when = signing_time if signing_time.tzinfo else signing_time.replace(tzinfo=dt.UTC)
    now = dt.datetime.now(dt.UTC)  # the real clock, also with --at: the future is the future
    if when > now + CLOCK_SKEW:
        return [
            f"The signature claims it was made on {_when(when)}, which is in the future: the "
            "signer's clock is wrong or the time was set on purpose, so do not rely on it."
        ]
    try:
        start, end = signer.not_valid_before, signer.not_valid_after
    except Exception:  # unreadable validity: the chain check says so
        return []
    if when < start - CLOCK_SKEW or when > end + CLOCK_SKEW:
        return [
            f"The signature claims it was made on {_when(when)}, when the signer's certificate "
            f"was not valid (it is valid from {_when(start)} to {_when(end)})."
        ]
    return []
