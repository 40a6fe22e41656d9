"""Automatic account setup: find a mail domain's IMAP and SMTP settings as Thunderbird does.

The order (see :func:`discover.discover`): the domain's own autoconfig file over HTTPS, RFC 6186
SRV records, the MX host (Microsoft 365 and Google select their OAuth2 preset), and only with
the user's consent Thunderbird's public ISPDB, which learns the domain that was asked about.
"""
