"""Save attachments under their sanitised names into a folder, never overwriting a file there."""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import platformdirs

from smimetui.core.errors import InputError
from smimetui.core.read.report import Attachment
from smimetui.core.sanitize import MAX_NAME_BYTES, clean_filename, fit_filename, split_extension


def downloads_dir() -> Path:
    override = os.environ.get("SMIMETUI_DOWNLOADS")
    return Path(override) if override else Path(platformdirs.user_downloads_dir())


def free_path(directory: Path, filename: str) -> Path:
    """``name.ext``, else ``name (2).ext``, ... so nothing already there is replaced; every
    candidate fits in 255 bytes with its extension."""
    name = clean_filename(filename)
    path = directory / name
    counter = 2
    while path.exists():
        marker = f" ({counter})"
        stem, suffix = split_extension(fit_filename(name, MAX_NAME_BYTES - len(marker)))
        path = directory / f"{stem}{marker}{suffix}"
        counter += 1
    return path


@dataclass(frozen=True, slots=True)
class Saved:
    """What saving did: the files written, and each attachment that failed with the reason."""

    directory: Path
    paths: tuple[Path, ...]
    failed: tuple[tuple[str, str], ...]  # (attachment name, reason)

    @property
    def summary(self) -> str:
        return f"Saved {len(self.paths)} attachment(s) to {self.directory}"


def _save_one(directory: Path, attachment: Attachment) -> Path:
    path = free_path(directory, attachment.filename)
    # O_EXCL: a file created meanwhile is never overwritten.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(attachment.data)
    return path


def save_all(attachments: Iterable[Attachment], directory: Path | None = None) -> Saved:
    """Save each attachment on its own: one that fails is reported, the others are saved."""
    target = directory or downloads_dir()
    items = list(attachments)
    if not items:
        raise InputError("This message has no attachments to save.", title="Nothing to save")
    try:
        target.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise InputError(
            f"The attachments could not be saved to {target}: {err.strerror}.",
            title="Could not save",
        ) from err
    paths: list[Path] = []
    failed: list[tuple[str, str]] = []
    for attachment in items:
        try:
            paths.append(_save_one(target, attachment))
        except OSError as err:
            failed.append((attachment.filename, str(err.strerror or err)))
    saved = Saved(target, tuple(paths), tuple(failed))
    if failed:
        name, reason = failed[0]
        more = f" (and {len(failed) - 1} more)" if len(failed) > 1 else ""
        raise InputError(
            f"{saved.summary}; {name}{more} could not be saved: {reason}.",
            title="Not all saved" if paths else "Could not save",
        )
    return saved
