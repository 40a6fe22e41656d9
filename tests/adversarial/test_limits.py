"""Resource limits: hostile structure costs bounded time and memory and ends in a clear message.

No timed assertions (the rules forbid them in unit tests): "bounded" means the call returns at
all (pytest's own timeout would stop a hang) and, for the big attachment, a memory ceiling
measured in a child process.
"""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import textwrap
import zlib

import pytest
from asn1crypto import cms
from cryptography import x509

from smimetui.core.errors import ResourceLimitError
from smimetui.core.pki import makecerts as pki
from smimetui.core.pki.chain import ChainStatus
from smimetui.core.pki.makecerts import Issued
from smimetui.core.read.inspect import inspect_message
from tests.support import crafted as mail
from tests.support.pki import FixturePKI


def _nested(depth: int) -> bytes:
    entity = mail.entity("innermost\n")
    for level in range(depth):
        entity = mail.multipart("mixed", [entity], f"b{level}")
    return entity


def test_deep_nesting_stops_with_a_clear_message(ctx) -> None:
    # Naive: recursion per MIME level until the stack overflows (or a RecursionError trace).
    with pytest.raises(ResourceLimitError, match="nested more than"):
        inspect_message(mail.message(_nested(500)), ctx)
    assert "innermost" in inspect_message(mail.message(_nested(12)), ctx).text


def test_deep_nesting_cli_one_line(tmp_path, cli_home) -> None:
    path = tmp_path / "deep.eml"
    path.write_bytes(mail.message(_nested(500)))
    proc = subprocess.run(
        [sys.executable, "-m", "smimetui.cli.main", "inspect", str(path)],
        capture_output=True,
        timeout=120,
    )
    assert proc.returncode == 2
    assert proc.stderr.count(b"\n") == 1 and b"Traceback" not in proc.stderr


def test_many_parts_stop_with_a_clear_message(ctx) -> None:
    parts = [mail.entity(f"part {i}") for i in range(5000)]
    with pytest.raises(ResourceLimitError, match="more than"):
        inspect_message(mail.message(mail.multipart("mixed", parts, "many")), ctx)


def test_huge_header_lines(fixture_pki: FixturePKI, ctx) -> None:
    # Naive: quadratic header parsing / address regexes on a 1 MB line; a 1 MB subject drawn.
    big = "A" * (1 << 20)
    alice = mail.key_of(fixture_pki.alice, fixture_pki.intermediate)
    raw = mail.message(
        mail.signed(mail.entity("body text\n"), alice),
        [
            f"From: {big} <alice@example.org>",
            f"Subject: {big}",
            f"Reply-To: {'b' * (1 << 20)}@example.org",
            f"X-Junk: {big}",
        ],
    )
    report = inspect_message(raw, ctx)
    assert "body text" in report.text
    assert len(report.subject) <= 2000 and len(report.from_display) <= 2000
    assert report.signature is not None and not report.signature.from_match


def test_fifty_megabyte_attachment(tmp_path) -> None:
    # Naive: several decoded copies plus a copy per regex pass: gigabytes for 50 MB.
    script = textwrap.dedent(
        """
        import base64, resource, sys
        sys.path.insert(0, %r)
        from tests.support import crafted as mail
        from smimetui.core.settings.home import Home
        from smimetui.core.read.inspect import InspectContext, inspect_message
        from smimetui.core.pki.trust import ChainValidator, TrustStore
        size = 50 * 1024 * 1024
        data = bytes(range(256)) * (size // 256)
        part = (
            b'Content-Type: application/octet-stream\\r\\n'
            b'Content-Disposition: attachment; filename="big.bin"\\r\\n'
            b'Content-Transfer-Encoding: base64\\r\\n\\r\\n' + mail.b64(data)
        )
        del data
        raw = mail.message(mail.multipart("mixed", [mail.entity("see attached"), part], "big"))
        del part
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        ctx = InspectContext(validator=ChainValidator(TrustStore(Home.at(%r), use_system=False)))
        report = inspect_message(raw, ctx)
        after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        print(report.attachments[0].size, report.attachments[0].filename, (after - before) // 1024)
        """
    ) % (str(_repo_root()), str(tmp_path / "home"))
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, timeout=300)
    assert proc.returncode == 0, proc.stderr.decode()[-2000:]
    size, name, grown_mb = proc.stdout.split()
    assert int(size) == 50 * 1024 * 1024 and name == b"big.bin"
    assert int(grown_mb) < 600, f"inspecting a 50 MB attachment grew memory by {grown_mb} MB"


def _repo_root():
    from pathlib import Path

    return Path(__file__).resolve().parents[2]


def _compressed_data(size: int) -> bytes:
    """CMS CompressedData (zlib) that inflates to ``size`` zero bytes: a decompression bomb."""
    packer = zlib.compressobj(9)
    chunk = b"\0" * (1 << 20)
    packed = b"".join(packer.compress(chunk) for _ in range(size // len(chunk)))
    packed += packer.flush()
    data = cms.CompressedData(
        {
            "version": "v0",
            "compression_algorithm": {"algorithm": "zlib"},
            "encap_content_info": {"content_type": "data", "content": packed},
        }
    )
    return cms.ContentInfo({"content_type": "compressed_data", "content": data}).dump()


@pytest.fixture(scope="module")
def bomb() -> bytes:
    return _compressed_data(256 * 1024 * 1024)  # ~250 KB on the wire, 256 MB inflated


@pytest.mark.parametrize(
    "content_type",
    [
        "application/pkcs7-mime; smime-type=compressed-data",
        "application/pkcs7-mime",  # no smime-type: found by sniffing the CMS content type
        "application/x-pkcs7-mime; smime-type=compressed-data",
    ],
)
def test_compressed_part_is_never_decompressed(ctx, bomb: bytes, content_type: str) -> None:
    # Naive: RFC 3274 compressed data is inflated into memory: 256 MB from 250 KB.
    body = (
        f"Content-Type: {content_type}; name=smime.p7z\r\nContent-Transfer-Encoding: base64\r\n\r\n"
    ).encode() + mail.b64(bomb)
    report = inspect_message(mail.message(body), ctx)
    assert any("compressed" in p for p in report.problems)
    assert report.text == ""


def _cross_certified_pair() -> tuple[Issued, Issued, Issued, Issued]:
    """CA A and CA B, each with a certificate issued by the other (a loop), and no root."""
    key_a, key_b = pki.new_key(), pki.new_key()
    name_a, name_b = pki.name("Loop CA A"), pki.name("Loop CA B")

    def ca_cert(subject, key, issuer, issuer_key) -> x509.Certificate:
        now = pki.utcnow()
        return (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(issuer)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=365))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(
                x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False
            )
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()),
                critical=False,
            )
            .sign(issuer_key, pki._hash_for(issuer_key))
        )

    a_by_b = Issued(ca_cert(name_a, key_a, name_b, key_b), key_a)
    b_by_a = Issued(ca_cert(name_b, key_b, name_a, key_a), key_b)
    leaf = pki.make_leaf(a_by_b, "loop@example.org")
    return leaf, a_by_b, b_by_a, leaf


def test_certificate_chain_loop(ctx) -> None:
    # Naive: the path builder follows issuer names forever (A -> B -> A -> ...).
    leaf, a_by_b, b_by_a, _ = _cross_certified_pair()
    key = mail.key_of(leaf, a_by_b, b_by_a)
    raw = mail.message(mail.signed(mail.entity("loop\n"), key), sender="loop@example.org")
    report = inspect_message(raw, ctx)
    sig = report.signature
    assert sig is not None
    assert sig.chain in (ChainStatus.UNTRUSTED, ChainStatus.INVALID)
    assert sig.problems and not sig.is_trustworthy
    assert len(sig.chain_path) <= 12
