"""The raw MIME walker: exact bytes per part, limits, tolerant decoding."""

from __future__ import annotations

import pytest

from smimetui.core.errors import MimeError, ResourceLimitError
from smimetui.core.read import mimewalk
from smimetui.core.read.mimewalk import canonical_crlf, parse_entity, parse_message

SIGNED_LIKE = (
    b'From: a@example.org\r\nContent-Type: multipart/signed; boundary="XX";'
    b' protocol="application/pkcs7-signature"\r\n\r\n'
    b"preamble\r\n--XX\r\nContent-Type: text/plain\r\n\r\nline one\r\nline two\r\n"
    b"--XX\r\nContent-Type: application/pkcs7-signature\r\n"
    b"Content-Transfer-Encoding: base64\r\n\r\nAAEC\r\n--XX--\r\nepilogue\r\n"
)


class TestParseEntity:
    def test_parts_keep_exact_bytes(self) -> None:
        root = parse_message(SIGNED_LIKE)
        assert root.content_type == "multipart/signed"
        first, second = root.children
        # the CRLF before the delimiter belongs to the delimiter (RFC 2046)
        assert first.raw == b"Content-Type: text/plain\r\n\r\nline one\r\nline two"
        assert second.decoded() == b"\x00\x01\x02"

    def test_lf_only_message(self) -> None:
        root = parse_message(SIGNED_LIKE.replace(b"\r\n", b"\n"))
        assert root.children[0].raw == b"Content-Type: text/plain\n\nline one\nline two"
        assert canonical_crlf(root.children[0].raw).count(b"\r\n") == 3

    def test_missing_close_delimiter_is_a_defect(self) -> None:
        root = parse_message(SIGNED_LIKE.split(b"--XX--")[0])
        assert "MissingCloseBoundary" in root.defects
        assert len(root.children) == 2

    def test_multipart_without_boundary_becomes_text(self) -> None:
        root = parse_message(b"Subject: x\r\nContent-Type: multipart/mixed\r\n\r\nhello")
        assert root.content_type == "text/plain"

    def test_empty_input(self) -> None:
        with pytest.raises(MimeError):
            parse_message(b"   ")

    def test_no_headers(self) -> None:
        with pytest.raises(MimeError):
            parse_message(b"\x00\x01binary junk without any header line")

    def test_depth_limit(self) -> None:
        raw = b"Content-Type: text/plain\r\n\r\nleaf"
        for level in range(mimewalk.MAX_DEPTH + 2):
            b = f"b{level}".encode()
            raw = (
                b"Content-Type: multipart/mixed; boundary="
                + b
                + b"\r\n\r\n--"
                + b
                + b"\r\n"
                + raw
                + b"\r\n--"
                + b
                + b"--\r\n"
            )
        with pytest.raises(ResourceLimitError):
            parse_entity(raw)

    def test_part_count_limit(self) -> None:
        part = b"--B\r\nContent-Type: text/plain\r\n\r\nx\r\n"
        raw = b"Content-Type: multipart/mixed; boundary=B\r\n\r\n" + part * (mimewalk.MAX_PARTS + 5)
        with pytest.raises(ResourceLimitError):
            parse_entity(raw)


class TestDecode:
    def test_base64_with_garbage_and_missing_padding(self) -> None:
        assert mimewalk.decode_transfer(b"aGVs\r\n bG8*", "base64") == b"hello"

    def test_quoted_printable(self) -> None:
        assert mimewalk.decode_transfer(b"caf=C3=A9=\r\n!", "quoted-printable") == "café!".encode()

    def test_unknown_encoding_is_identity(self) -> None:
        assert mimewalk.decode_transfer(b"raw", "x-unknown") == b"raw"
