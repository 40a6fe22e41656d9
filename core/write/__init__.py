"""The write path: the compose form as a value, drafts, recipient certificates, and the one
function that turns a message into mail that went out (``send.send_message``).

The CLI (``smimetui send``) and the TUI (the compose screen) both call into here, so the
identity, recipient-certificate, encrypt-to-self and preference rules exist once.
"""
