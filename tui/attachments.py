"""Save attachments under their sanitised names, never overwriting an existing file."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

import platformdirs

from smimetui.core.errors import InputError
from smimetui.core.sanitize import clean_filename
from smimetui.core.smime.report import Attachment


def downloads_dir() -> Path:
    override = os.environ.get("SMIMETUI_DOWNLOADS")
    return Path(override) if override else Path(platformdirs.user_downloads_dir())


def free_path(directory: Path, filename: str) -> Path:
    """``name.ext``, else ``name (2).ext``, ... so nothing already there is replaced."""
    name = clean_filename(filename)
    path = directory / name
    stem, suffix = path.stem, path.suffix
    counter = 2
    while path.exists():
        path = directory / f"{stem} ({counter}){suffix}"
        counter += 1
    return path


def save_all(attachments: Iterable[Attachment], directory: Path | None = None) -> list[Path]:
    target = directory or downloads_dir()
    try:
        target.mkdir(parents=True, exist_ok=True)
        saved = []
        for attachment in attachments:
            path = free_path(target, attachment.filename)
            # O_EXCL: a file created meanwhile is never overwritten.
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as handle:
                handle.write(attachment.data)
            saved.append(path)
    except OSError as err:
        raise InputError(
            f"The attachments could not be saved to {target}: {err.strerror}.",
            title="Could not save",
        ) from err
    if not saved:
        raise InputError("This message has no attachments to save.", title="Nothing to save")
    return saved
