"""Random Authentication-Results, Received chains and HTML links never raise, and what they
yield is free of control characters (issue 15)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from smimetui.core.read.authresults import authentication_report
from smimetui.core.read.bodytext import html_with_links
from smimetui.core.read.transport import transport_facts
from tests.support.corpus import TRANSPORT

FUZZ = settings(max_examples=150, deadline=None)
SEED = (TRANSPORT / "gmail_dmarc_pass.eml").read_bytes()
TOKENS = st.sampled_from(
    ["mx.example.org", ";", "dkim=", "pass", "fail", "header.d=", "(", ")", "\\", '"', "=",
     " ", "\x1b[2J", "\u202e", "smtp.mailfrom=", "dmarc", "@", "\r\n\t", "\x00", "ü"]
)  # fmt: skip
CONTROLS = {chr(c) for c in range(0x20)} | {"\x7f"} | {chr(c) for c in range(0x80, 0xA0)}


def clean(text: str) -> bool:
    return not (set(text) & CONTROLS)


@FUZZ
@given(st.lists(st.lists(TOKENS, max_size=30).map("".join), max_size=5))
def test_authentication_results_never_raise(values: list[str]) -> None:
    auth = authentication_report(values, "mx.example.org", "a@example.org")
    assert auth is not None and clean(auth.line) and all(clean(p) for p in auth.problems)


@FUZZ
@given(st.binary(max_size=400), st.integers(min_value=0, max_value=len(SEED)))
def test_mutated_headers_never_raise(noise: bytes, at: int) -> None:
    raw = SEED[:at] + noise + SEED[at:]
    facts = transport_facts(raw, "bob@example.net", "mx.example.org", ("mx.example.org",))
    if facts.delivery is not None:
        for hop in facts.delivery.hops:
            assert clean(hop.source) and clean(hop.by) and clean(hop.date)


@FUZZ
@given(st.text(max_size=300), st.text(max_size=80))
def test_links_never_raise(text: str, href: str) -> None:
    html = f'<p>{text}<a href="{href}">{text[:40]}</a></p>'
    converted, links = html_with_links(html, 0)
    assert isinstance(converted, str)
    for link in links:
        assert clean(link.reference)
