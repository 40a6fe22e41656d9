"""Tests of core/oauth: OAuth2 sign-in against a loopback authorization server."""
