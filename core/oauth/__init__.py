"""OAuth2 sign-in for mail accounts (Microsoft 365, Gmail, any OpenID provider).

``presets`` names the providers and their servers, ``discovery`` reads an issuer's OpenID
configuration, ``flows`` runs the sign-in (authorization code with PKCE on a loopback redirect,
or the device code), ``tokens`` keeps the refresh token in the keyring and hands out fresh access
tokens, and ``sasl`` speaks XOAUTH2 / OAUTHBEARER (RFC 7628) and reads the server's error JSON.
"""
