"""The framing reader and the lazy decoders, without a server."""

from __future__ import annotations

import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smimetui.core.mail.base import SecurityHint
from smimetui.core.mail.imap.framing import (
    KEYWORDS,
    ImapCommandError,
    RawConnection,
    flag_bits,
    internaldate_epoch,
    parse_fetch,
    parse_uid_set,
    uid_set,
)
from smimetui.core.mail.imap.summaries import decode_structure, decode_summary, parse_items


class FakeImap:
    """Just enough of imaplib.IMAP4 for RawConnection: a file and send()."""

    def __init__(self, data: bytes, chunk: int) -> None:
        self._template = data
        self._data = io.BytesIO()
        self._chunk = chunk
        self.sent: list[bytes] = []
        self.file = self

    def read1(self, size: int = -1) -> bytes:
        return self._data.read(min(size, self._chunk))

    def send(self, data: bytes) -> None:
        self.sent.append(data)
        self._data = io.BytesIO(self._template.replace(b"TAG", data.split()[0]))


ENVELOPE = (
    b'ENVELOPE ("Thu, 27 Nov 2025 10:00:00 +0000" {12}\r\nHi "there"\r\n'
    b'(("Al\\"ice" NIL "alice" "example.org")) NIL NIL ((NIL NIL "me" "example.org")) NIL NIL '
    b'NIL "<m1@example.org>") BODYSTRUCTURE (("text" "plain" NIL NIL NIL "7bit" 4 1 NIL NIL NIL '
    b'NIL)("application" "pkcs7-signature" ("name" "smime.p7s") NIL NIL "base64" 100 NIL '
    b'("attachment" ("filename" "smime.p7s")) NIL NIL) "signed" ("protocol" '
    b'"application/pkcs7-signature" "boundary" "b") NIL NIL NIL)'
)


class TestFraming:
    def test_literals_and_chunk_boundaries(self) -> None:
        one = b"* 1 FETCH (UID 7 FLAGS (\\Seen \\Recent) RFC822.SIZE 99 " + ENVELOPE + b")"
        stream = (
            one + b"\r\n* 3 EXISTS\r\n" + one.replace(b"UID 7", b"UID 8") + b"\r\nTAG OK done\r\n"
        )
        for chunk in (1, 7, 64, 1 << 16):
            fake = FakeImap(stream, chunk)
            raw = RawConnection(fake)
            seen: list[bytes] = []
            raw.run([b"FETCH 1:2 (X)"], seen.append)
            assert [parse_fetch(s).uid for s in seen if b"FETCH" in s] == [7, 8]  # type: ignore[union-attr]
            assert seen[1] == b"* 3 EXISTS"
            assert raw.bytes_read == len(fake.sent[0].split()[0]) - 3 + len(stream)

    def test_parse_fetch_items(self) -> None:
        line = (
            b"* 1 FETCH (UID 7 MODSEQ (12) FLAGS (\\Seen \\Recent $Label) INTERNALDATE "
            b'" 7-Nov-2025 04:33:53 +0100" RFC822.SIZE 99 ' + ENVELOPE + b")"
        )
        row = parse_fetch(line)
        assert row is not None
        assert (row.uid, row.flags, row.size, row.modseq) == (7, b"\\Seen $Label", 99, 12)
        assert row.date == 1762486433  # 2025-11-07 03:33:53 UTC
        summary = decode_summary(row.uid, "\\Seen", row.date, row.size, row.raw)
        assert summary.subject == 'Hi "there"'
        assert summary.sender == 'Al"ice' and summary.sender_addr == "alice@example.org"
        assert summary.security is SecurityHint.SIGNED and not summary.has_attachments
        assert summary.message_id == "<m1@example.org>"

    def test_uid_sets(self) -> None:
        assert uid_set([5, 1, 2, 3, 9, 10]) == b"1:3,5,9:10"
        assert parse_uid_set(b"1:3,5,10:9") == [1, 2, 3, 5, 9, 10]

    def test_bad_internaldate_is_zero(self) -> None:
        assert internaldate_epoch(b"garbage") == 0


class TestFlagBits:
    def test_system_flags_any_case(self) -> None:
        assert flag_bits(b"\\Seen \\Flagged") == 3
        assert flag_bits(b"\\SEEN \\answered \\Deleted \\Draft") == 1 | 4 | 8 | 16

    def test_recent_is_ignored_and_keywords_marked(self) -> None:
        assert flag_bits(b"\\Recent") == 0
        assert flag_bits(b"$Junk \\Seen") == KEYWORDS | 1
        assert flag_bits(b"") == 0


class TestFlagSweep:
    SWEEP = (
        b"* 1 FETCH (UID 4 FLAGS (\\Seen \\Recent))\r\n"
        b"* 2 FETCH (FLAGS () UID 9)\r\n"
        b"* 3 EXPUNGE\r\n"
        b"* 2 FETCH (UID 10 MODSEQ (5) FLAGS ($Junk))\r\n"  # an order the regex leaves out
        b"* 3 FETCH (UID 11 FLAGS (\\Seen) MODSEQ (6))\r\n"
        b"TAG OK done\r\n"
    )

    def test_every_shape_and_chunk_boundary(self) -> None:
        for chunk in (1, 5, 33, 1 << 16):
            raw = RawConnection(FakeImap(self.SWEEP, chunk))
            other: list[bytes] = []
            sweep = raw.flag_sweep(b"UID FETCH 1:* (UID FLAGS)", other.append)
            flags = [sweep.names[i] for i in sweep.ids]
            assert list(sweep.uids) == [4, 9, 10, 11]
            assert flags == [b"\\Seen", b"", b"$Junk", b"\\Seen"]
            assert other == [b"* 3 EXPUNGE"]

    def test_refusal_raises(self) -> None:
        raw = RawConnection(FakeImap(b"TAG NO [SERVERBUG] sorry\r\n", 64))
        with pytest.raises(ImapCommandError, match="SERVERBUG"):
            raw.flag_sweep(b"UID FETCH 1:* (UID FLAGS)", lambda _: None)


class TestStructure:
    def test_enveloped_is_encrypted(self) -> None:
        body = parse_items(
            b'("application" "pkcs7-mime" ("smime-type" "enveloped-data") NIL NIL "base64" 9)'
        )[0]
        assert decode_structure(body).security is SecurityHint.ENCRYPTED

    def test_signed_data_is_signed(self) -> None:
        body = parse_items(
            b'("application" "x-pkcs7-mime" ("smime-type" "signed-data") NIL NIL "base64" 9)'
        )[0]
        assert decode_structure(body).security is SecurityHint.SIGNED

    def test_attachment_in_mixed(self) -> None:
        body = parse_items(
            b'(("text" "plain" NIL NIL NIL "7bit" 4 1)("application" "pdf" ("name" "a.pdf") '
            b'NIL NIL "base64" 10 NIL ("attachment" NIL) NIL) "mixed")'
        )[0]
        assert decode_structure(body).has_attachments

    def test_control_characters_in_subject_are_removed(self) -> None:
        raw = b'ENVELOPE (NIL "a\x1b[31mred\x07" NIL NIL NIL NIL NIL NIL NIL NIL)'
        assert decode_summary(1, "", 0, 0, raw).subject == "a[31mred"


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300))
def test_decoders_never_raise(data: bytes) -> None:
    decode_summary(1, "", 0, 0, data)
    decode_summary(1, "", 0, 0, b"ENVELOPE " + data)
    parse_fetch(b"* 1 FETCH (UID 1 " + data)
