"""The completeness check of FETCH responses, without a server: what a misframed literal does
to a response is caught, a good response of any shape passes, and nothing makes it raise."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smimetui.core.mail.imap.check import fetch_complete
from smimetui.core.mail.imap.framing import parse_fetch

GOOD = (
    b'* 1 FETCH (UID 5 FLAGS (\\Seen) INTERNALDATE "27-Nov-2025 04:33:53 +0100" '
    b'RFC822.SIZE 1234 ENVELOPE ("Mon, 1 Jan 2024 00:00:00 +0000" "hello (world) \\" x" '
    b'(("Alice" NIL "alice" "example.org")) (("Alice" NIL "alice" "example.org")) '
    b'(("Alice" NIL "alice" "example.org")) (("Bob" NIL "bob" "example.org")) NIL NIL NIL '
    b'"<id@x>") BODYSTRUCTURE ("text" "plain" ("charset" "utf-8") NIL NIL "7bit" 12 1 NIL NIL '
    b"NIL NIL))"
)
SUBJECT = b'"hello (world) \\" x"'
LITERAL = GOOD.replace(SUBJECT, b"{13}\r\nhello (world)")


def complete(response: bytes) -> bool:
    row = parse_fetch(response)
    return fetch_complete(response, row.raw if row is not None else b"")


class TestFetchComplete:
    @pytest.mark.parametrize("response", [GOOD, LITERAL, b"* 2 FETCH (UID 9 FLAGS ())"])
    def test_good_responses_pass(self, response: bytes) -> None:
        assert complete(response)

    @pytest.mark.parametrize(
        "response",
        [
            pytest.param(GOOD.replace(SUBJECT, b"{13}\r\nhello ("), id="half-literal"),
            pytest.param(LITERAL.replace(b"{13}", b"{40}"), id="literal-too-long"),
            pytest.param(LITERAL.replace(b"{13}", b"{5}"), id="literal-too-short"),
            pytest.param(GOOD[:-1], id="unclosed"),
            pytest.param(GOOD + b")", id="closed-twice"),
            pytest.param(GOOD.replace(b") BODY", b" BODY"), id="envelope-unclosed"),
            pytest.param(GOOD.replace(b'"<id@x>"', b'"<id@x>'), id="quote-unclosed"),
            pytest.param(b"* 1 FETCH (UID 1) (X)", id="two-groups"),
            pytest.param(LITERAL.replace(b'"<id@x>"', b'"<id@x>" NIL'), id="eleven-fields"),
        ],
    )
    def test_damaged_responses_fail(self, response: bytes) -> None:
        assert not complete(response)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300), st.integers(0, len(LITERAL)))
def test_never_raises(data: bytes, at: int) -> None:
    complete(b"* 1 FETCH (UID 1 " + data)
    complete(LITERAL[:at] + data + LITERAL[at:])
