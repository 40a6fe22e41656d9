"""One account's mail session, for a front end that stays open (the mail reader).

``mail_session.MailSession`` holds the account's mail store and its lock, the security reports
already verified (``report_cache``), the session's one passphrase cache (``passphrases``), and
hands out the ``Writer`` of the one write path.  What the session must ask the user (a
passphrase, a password, a PIN, a new OAuth2 sign-in) goes through ``questions``, answered by
the front end's dialogs.  ``folder_opening`` opens the first folder before the UI has started.

Nothing here shows anything: every call blocks (disk, network, crypto) and is made from a
worker thread.
"""
