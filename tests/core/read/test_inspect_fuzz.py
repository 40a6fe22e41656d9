"""Random and mutated messages never raise anything but SmimeTuiError out of the report API."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from smimetui.core.errors import SmimeTuiError
from smimetui.core.pki.keycandidates import StaticKeyCandidate
from smimetui.core.pki.trust import ChainValidator, TrustStore
from smimetui.core.read.inspect import InspectContext, inspect_message
from tests.support.openssl import openssl, requires_openssl

pytestmark = [requires_openssl]

BODY = b"Content-Type: text/plain\r\n\r\nfuzz me\r\n"
FUZZ = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture(scope="module")
def seeds(pki_dir) -> list[bytes]:
    alice, key = pki_dir["alice"], pki_dir["alice.key"]
    signed = openssl("cms", "-sign", "-signer", alice, "-inkey", key, "-from", "a@x", data=BODY)
    opaque = openssl(
        "cms", "-sign", "-nodetach", "-signer", alice, "-inkey", key, "-from", "a@x", data=BODY
    )
    gcm = openssl("cms", "-encrypt", "-aes-256-gcm", "-from", "a@x", alice, data=BODY)
    cbc = openssl("cms", "-encrypt", "-aes-128-cbc", "-from", "a@x", alice, data=signed)
    return [signed, opaque, gcm, cbc]


@pytest.fixture(scope="module")
def fuzz_ctx(tmp_path_factory, fixture_pki) -> InspectContext:
    from smimetui.core.settings.home import Home

    trust = TrustStore(Home.at(tmp_path_factory.mktemp("fuzzhome")), use_system=False)
    trust.add(fixture_pki.root.cert_pem)
    keys = [StaticKeyCandidate(fixture_pki.alice.cert, fixture_pki.alice.key)]
    return InspectContext(validator=ChainValidator(trust), keys=keys)


def _inspect(raw: bytes, ctx: InspectContext) -> None:
    try:
        report = inspect_message(raw, ctx)
    except SmimeTuiError:
        return
    report.to_json()  # the whole report must also serialise


@FUZZ
@given(data=st.binary(max_size=2000))
def test_random_bytes(data: bytes, fuzz_ctx: InspectContext) -> None:
    _inspect(data, fuzz_ctx)


@FUZZ
@given(
    which=st.integers(0, 3),
    edits=st.lists(
        st.tuples(
            st.floats(0, 1),
            st.sampled_from(["flip", "cut", "dup", "insert"]),
            st.binary(min_size=1, max_size=8),
        ),
        min_size=1,
        max_size=4,
    ),
)
def test_mutated_smime(which: int, edits, seeds: list[bytes], fuzz_ctx: InspectContext) -> None:
    data = bytearray(seeds[which])
    for where, op, blob in edits:
        i = int(where * (len(data) - 1))
        if op == "flip":
            data[i] ^= blob[0] or 1
        elif op == "cut":
            del data[i : i + len(blob) * 16]
        elif op == "dup":
            data[i:i] = data[i : i + 64]
        else:
            data[i:i] = blob
    _inspect(bytes(data), fuzz_ctx)


@FUZZ
@given(
    parts=st.lists(
        st.sampled_from(
            [
                b"Content-Type: multipart/signed; boundary=Q\r\n\r\n--Q\r\n",
                b"Content-Type: application/pkcs7-mime; smime-type=enveloped-data\r\n\r\nMIIB\r\n",
                b"Content-Type: application/pkcs7-mime\r\n"
                b"Content-Transfer-Encoding: base64\r\n\r\n",
                b"Content-Type: multipart/mixed; boundary=Q\r\n\r\n",
                b"--Q\r\n",
                b"--Q--\r\n",
                b"Content-Type: text/html\r\n\r\n<p>hi<script>x</script>\r\n",
                b'From: "a@b" <c@d>\r\nFrom: e@f\r\n',
                b"\r\n",
                b"MIAGCSqGSIb3DQEHAqCAMIACAQEx\r\n",
            ]
        ),
        min_size=1,
        max_size=12,
    )
)
def test_structured_garbage(parts: list[bytes], fuzz_ctx: InspectContext) -> None:
    _inspect(b"From: x@example.org\r\n" + b"".join(parts), fuzz_ctx)
