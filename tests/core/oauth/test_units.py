"""The pieces without servers: SASL messages, the error JSON, presets, discovery refusals."""

from __future__ import annotations

import base64

import pytest

from smimetui.core.errors import ConfigError
from smimetui.core.oauth import sasl
from smimetui.core.oauth.discovery import discover
from smimetui.core.oauth.presets import GOOGLE, microsoft, preset, preset_for_mx
from tests.support.servers.oauth import AuthServer


class TestSasl:
    def test_xoauth2_message(self) -> None:
        assert sasl.xoauth2("a@b.org", "T") == b"user=a@b.org\x01auth=Bearer T\x01\x01"

    def test_oauthbearer_message_escapes_the_user(self) -> None:
        message = sasl.oauthbearer("a=b,c@d", "T", "imap.d", 993)
        assert message == b"n,a=a=3Db=2Cc@d,\x01host=imap.d\x01port=993\x01auth=Bearer T\x01\x01"

    def test_choose_mechanism(self) -> None:
        assert sasl.choose_mechanism(["PLAIN", "XOAUTH2", "OAUTHBEARER"]) == "XOAUTH2"
        assert sasl.choose_mechanism(["OAUTHBEARER"]) == "OAUTHBEARER"
        assert sasl.choose_mechanism(["XOAUTH2"], "oauthbearer") is None
        assert sasl.choose_mechanism(["PLAIN", "LOGIN"]) is None

    @pytest.mark.parametrize(
        ("challenge", "words"),
        [
            (b'{"status":"401","schemes":"bearer","scope":"https://mail.google.com/"}',
             "expired or was revoked"),
            (base64.b64encode(b'{"status":"invalid_token"}'), "expired or was revoked"),
            (b'{"status":"insufficient_scope","scope":"mail"}', "wrong scope (it wants mail)"),
            (b'{"status":"400"}', "malformed"),
            (b"\x1b[31mnot json", "refused the access token"),
            (None, "refused the access token"),
        ],
    )  # fmt: skip
    def test_error_json_becomes_a_sentence(self, challenge: bytes | None, words: str) -> None:
        assert words in sasl.read_error(challenge).sentence()

    def test_control_characters_never_pass(self) -> None:
        error = sasl.read_error(b'{"status":"x\\u001b[2J","scope":"m\\u0007"}')
        assert "\x1b" not in error.sentence() and "\x07" not in error.sentence()


class TestPresets:
    def test_microsoft_tenant_in_the_endpoints(self) -> None:
        provider = microsoft("contoso.onmicrosoft.com")
        assert "/contoso.onmicrosoft.com/oauth2/v2.0/token" in provider.token_endpoint
        assert "offline_access" in provider.scopes
        assert "common" in preset("microsoft").token_endpoint

    def test_bad_tenant_refused(self) -> None:
        with pytest.raises(ConfigError, match="not a tenant"):
            microsoft("../evil")

    def test_mx_hosts_select_a_preset(self) -> None:
        found = preset_for_mx("contoso-com.mail.protection.outlook.com.")
        assert found is not None and found.name == "microsoft"
        assert preset_for_mx("aspmx.l.google.com") is GOOGLE
        assert preset_for_mx("mx.example.org") is None


class TestDiscovery:
    def test_endpoints_from_the_issuer(self, auth: AuthServer) -> None:
        provider = discover(auth.url)
        assert provider.token_endpoint == auth.url + "/token"
        assert provider.device_authorization_endpoint == auth.url + "/device"

    def test_plain_http_refused_off_loopback(self) -> None:
        with pytest.raises(ConfigError, match="must be an https"):
            discover("http://id.example.org")

    def test_missing_configuration_is_a_sentence(self, auth: AuthServer) -> None:
        with pytest.raises(ConfigError, match="could not be read .HTTP 404"):
            discover(auth.url + "/nothing")
