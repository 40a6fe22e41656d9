"""From / signer identity: one test per way a From line can fail to name the signer."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smimetui.core.read.signer_match import FromMatch, match_signer_to_from, parse_from

ALICE = ("alice@example.org",)


def no_match(from_values: list[str], signer: tuple[str, ...] = ALICE) -> str:
    result = match_signer_to_from(from_values, signer)
    assert not result.matches
    assert len(result.problems) == 1
    return result.problems[0]


class TestMatches:
    @pytest.mark.parametrize(
        "value",
        [
            "alice@example.org",
            "Alice Liddell <alice@example.org>",
            "Alice <alice@EXAMPLE.ORG>",
            '"Liddell, Alice" <alice@example.org>',
            '"alice@example.org" <alice@example.org>',  # the same address in the name is fine
            "=?utf-8?q?Alice_L=C3=AEddell?= <alice@example.org>",
            "Alice\r\n <alice@example.org>",  # folded
        ],
    )
    def test_matches(self, value: str) -> None:
        result = match_signer_to_from([value], ALICE)
        assert result == FromMatch(True, (), ("alice@example.org",))

    def test_any_of_several_certificate_addresses(self) -> None:
        result = match_signer_to_from(["a@example.net"], ("alice@example.org", "a@Example.NET"))
        assert result.matches


class TestAddressCase:
    """Outlook writes the address as the user typed it (Alice@EXAMPLE.org); NSS (Thunderbird)
    and Outlook compare the whole address case-insensitively, so genuine mail must match."""

    def test_outlook_style_capitalised_from(self) -> None:
        assert match_signer_to_from(["Alice <Alice@EXAMPLE.org>"], ALICE).matches

    def test_capitalised_certificate_address(self) -> None:
        assert match_signer_to_from(["alice@example.org"], ("ALICE@Example.org",)).matches


class TestNoMatch:
    def test_other_sender(self) -> None:
        assert no_match(["Mallory <mallory@evil.example>"]) == (
            "The message says it is from mallory@evil.example, but it was signed by "
            "alice@example.org."
        )

    def test_two_from_headers(self) -> None:
        problem = no_match(["alice@example.org", "alice@example.org"])
        assert "more than one From header" in problem

    @pytest.mark.parametrize("values", [[], [""], ["   "]])
    def test_missing_or_empty_from(self, values: list[str]) -> None:
        assert "no From address" in no_match(values)

    def test_several_mailboxes(self) -> None:
        problem = no_match(["alice@example.org, bob@example.org"])
        assert "names 2 senders" in problem

    @pytest.mark.parametrize(
        "value",
        [
            '"alice@example.org" <mallory@evil.example>',
            "=?utf-8?q?alice=40example.org?= <mallory@evil.example>",  # hidden in an encoded word
        ],
    )
    def test_display_name_holds_another_address(self, value: str) -> None:
        problem = no_match([value])
        assert "another address (alice@example.org)" in problem
        assert "mallory@evil.example" in problem

    def test_comment_holds_another_address(self) -> None:
        assert "another address (bob@example.net)" in no_match(
            ["alice@example.org (bob@example.net)"]
        )

    @pytest.mark.parametrize(
        "value",
        [
            "Alice <alice@example.org",
            "alice@@example.org",
            "alice@example.org@evil.example",
            "Bob <bob@example.org>>",
            "alice",
            "<>",
            "undisclosed-recipients:;",
            "Alice <alice@example.org>\r\nBcc: eve@example.org",
            "alice@example.org,",
            "alice@example.org <mallory@evil.example>",  # an unquoted address as a name
        ],
    )
    def test_unclean_from(self, value: str) -> None:
        assert "does not parse cleanly" in no_match([value])

    def test_signer_without_address(self) -> None:
        assert "names no e-mail address" in no_match(["alice@example.org"], ())

    def test_problem_text_is_sanitised(self) -> None:
        problem = no_match(["Evil <ev\u202eil@example.org>"])
        assert "\u202e" not in problem


class TestParseFrom:
    def test_addr_specs(self) -> None:
        assert parse_from(["Alice <alice@Example.ORG>", "b@x.org, c@y.org"]) == (
            "alice@example.org",
            "b@x.org",
            "c@y.org",
        )

    def test_unparseable_values_give_nothing(self) -> None:
        assert parse_from(["Alice <alice@example.org", "<>"]) == ()

    @settings(max_examples=200, deadline=None)
    @given(st.lists(st.text(max_size=80), max_size=3), st.lists(st.text(max_size=40), max_size=2))
    def test_never_raises(self, values: list[str], signers: list[str]) -> None:
        result = match_signer_to_from(values, signers)
        assert result.matches == (not result.problems)
