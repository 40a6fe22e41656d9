"""The body in ``$EDITOR``: write it to a private temporary file, run the editor, read it back.

The compose screen suspends the app around ``edit_text`` so the editor owns the terminal.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import tempfile

from smimetui.core.errors import InputError


def editor_command(configured: str = "") -> str:
    """The config's editor, else $VISUAL, else $EDITOR, else vi."""
    return configured or os.environ.get("VISUAL") or os.environ.get("EDITOR") or "vi"


def edit_text(text: str, command: str) -> str:
    """Run ``command`` on a temporary file holding ``text``; the file's text afterwards.

    The file is created readable by you only (it may hold a message meant to be encrypted) and
    removed afterwards.  An editor that cannot be started or fails leaves ``text`` unchanged
    and raises InputError saying so.
    """
    fd, path = tempfile.mkstemp(suffix=".eml.txt", text=True)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        try:
            done = subprocess.run([*shlex.split(command), path], check=False)
        except (OSError, ValueError) as err:
            raise InputError(
                f"The editor {command!r} could not be started ({err}); set editor in "
                "config.toml or $EDITOR.",
                title="Editor failed",
            ) from err
        if done.returncode != 0:
            raise InputError(
                f"The editor {command!r} exited with status {done.returncode}; the body is "
                "unchanged.",
                title="Editor failed",
            )
        with open(path, encoding="utf-8") as handle:
            return handle.read()
    finally:
        os.unlink(path)
