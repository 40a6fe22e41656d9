"""xmlconfig.parse: the config-v1.1 format read without trusting it (no network here)."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smimetui.core.autoconfig.model import Server, expand
from smimetui.core.autoconfig.xmlconfig import BadConfig, parse
from smimetui.core.errors import AutoconfigError
from tests.support.internet import DATA, config_xml

EMAIL = "alice@own.test"


class TestParse:
    def test_vector_file(self) -> None:
        s = parse((DATA / "own.xml").read_bytes(), EMAIL, "x")
        assert s.imap == Server("imap.own.test", 993, "tls", "%EMAILLOCALPART%")
        assert s.smtp is not None and s.smtp.port == 465

    def test_placeholders(self) -> None:
        assert expand("%EMAILLOCALPART%+%EMAILDOMAIN%", "a.b@c.test") == "a.b+c.test"
        assert expand("%EMAILADDRESS%", "a@c.test") == "a@c.test"

    def test_plain_only_when_it_is_all_there_is(self) -> None:
        s = parse(config_xml(("imap.x.test", 143, "plain", "u", "password-cleartext")), EMAIL, "x")
        assert s.imap.security == "none" and s.plain_text and s.smtp is None

    def test_oauth2_on_an_unknown_host_keeps_the_password(self) -> None:
        spec = ("imap.x.test", 993, "SSL", "u", "OAuth2,password-cleartext")
        assert parse(config_xml(spec), EMAIL, "x").auth == "password"

    def test_oauth2_only_on_an_unknown_host(self) -> None:
        s = parse(config_xml(("imap.x.test", 993, "SSL", "u", "OAuth2")), EMAIL, "x")
        assert (s.auth, s.provider, s.auth_words) == ("oauth2", "", "OAuth2 (provider unknown)")

    @pytest.mark.parametrize(
        "spec",
        [
            ("imap.x.test\u202e", 993, "SSL", "u", "password-cleartext"),  # bidi override
            ("imap x.test", 993, "SSL", "u", "password-cleartext"),
            ("imap.x.test", 0, "SSL", "u", "password-cleartext"),
            ("imap.x.test", 70000, "SSL", "u", "password-cleartext"),
            ("imap.x.test", 993, "carrier-pigeon", "u", "password-cleartext"),
            ("imap.x.test", 993, "SSL", "u", "NTLM"),
        ],
    )
    def test_unusable_servers_are_skipped(self, spec: tuple[str, int, str, str, str]) -> None:
        with pytest.raises(BadConfig, match="lists no IMAP server"):
            parse(config_xml(spec), EMAIL, "autoconfig.x.test")

    def test_username_invisible_characters_are_shown(self) -> None:
        # (ESC and BEL cannot appear in XML 1.0 at all: such a file is not well-formed)
        spec = ("imap.x.test", 993, "SSL", "al\u202eice\u0085", "password-cleartext")
        assert parse(config_xml(spec), EMAIL, "x").imap.username == "al<U+202E>ice"


class TestRefused:
    @pytest.mark.parametrize("name", ["billion_laughs.xml", "external_entity.xml"])
    def test_entities_are_refused_in_one_sentence(self, name: str) -> None:
        with pytest.raises(BadConfig) as caught:
            parse((DATA / name).read_bytes(), EMAIL, "autoconfig.hostile.test")
        message = caught.value.one_line()
        assert message.startswith("The config file from autoconfig.hostile.test was refused:")
        assert message.count(".") >= 1 and "\n" not in str(caught.value)

    def test_doctype_in_utf16_is_refused_too(self) -> None:
        text = '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE clientConfig><clientConfig/>'
        with pytest.raises(BadConfig, match="DOCTYPE"):
            parse(text.encode("utf-16"), EMAIL, "x")

    @pytest.mark.parametrize(
        ("data", "reason"),
        [(b"<clientConfig>", "not well-formed"), (b"<html/>", "not an autoconfig file")],
    )
    def test_broken_or_foreign(self, data: bytes, reason: str) -> None:
        with pytest.raises(BadConfig, match=reason):
            parse(data, EMAIL, "x")


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=400) | st.text(max_size=400).map(str.encode))
def test_random_input_never_escapes_the_error_type(data: bytes) -> None:
    with contextlib.suppress(AutoconfigError):
        parse(data, EMAIL, "x")


@settings(max_examples=100, deadline=None)
@given(st.integers(0, 2000), st.binary(min_size=1, max_size=8))
def test_mutated_vector_never_escapes_the_error_type(at: int, junk: bytes) -> None:
    data = (DATA / "own.xml").read_bytes()
    at %= len(data)
    with contextlib.suppress(AutoconfigError):
        parse(data[:at] + junk + data[at + len(junk) :], EMAIL, "x")
