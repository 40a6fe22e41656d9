"""Saving attachments (issue 11.10): names over 255 bytes, and one failure among several.

A file name is at most 255 bytes on Linux and BSD file systems (NAME_MAX) and 255 UTF-8 bytes on
APFS; names from mail can be any length (RFC 2231 continuations), so they are cut to fit, the
extension kept, and a multi-byte character is never split.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from smimetui.core.errors import InputError
from smimetui.core.read.report import Attachment
from smimetui.core.read.saving import free_path, save_all
from smimetui.core.sanitize import clean_filename

NAME_MAX = 255


def _attachment(name: str, data: bytes = b"data") -> Attachment:
    return Attachment(name, "application/octet-stream", len(data), data)


class TestLongNames:
    @pytest.mark.parametrize(
        "stem",
        ["a" * 300, "ü" * 200, "日本語" * 60, "a" * 254 + "€"],
        ids=["ascii", "latin", "cjk", "euro-at-the-cut"],
    )
    def test_cut_to_255_bytes_keeping_the_extension(self, stem: str) -> None:
        name = clean_filename(stem + ".pdf")
        assert len(name.encode("utf-8")) <= NAME_MAX
        assert name.endswith(".pdf")
        assert name.encode("utf-8").decode("utf-8") == name  # whole characters only

    def test_short_names_unchanged(self) -> None:
        assert clean_filename("Quarterly report.pdf") == "Quarterly report.pdf"

    def test_long_names_are_saved(self, tmp_path: Path) -> None:
        names = ["a" * 300 + ".pdf", "ü" * 200 + ".odt"]
        saved = save_all([_attachment(n) for n in names], tmp_path)
        assert [p.suffix for p in saved.paths] == [".pdf", ".odt"]
        assert all(p.read_bytes() == b"data" for p in saved.paths)

    def test_numbered_names_still_fit(self, tmp_path: Path) -> None:
        name = "b" * 300 + ".txt"
        first = save_all([_attachment(name)], tmp_path).paths[0]
        second = free_path(tmp_path, name)
        assert second != first and second.name.endswith(" (2).txt")
        assert len(second.name.encode("utf-8")) <= NAME_MAX


class TestEachOnItsOwn:
    def test_one_failure_is_named_and_the_others_are_saved(self, tmp_path: Path) -> None:
        # A dangling link where "second.txt" would go: exclusive creation refuses it (EEXIST),
        # as it must (never write through a link someone planted).
        os.symlink(tmp_path / "nowhere", tmp_path / "second.txt")
        items = [_attachment("first.txt"), _attachment("second.txt"), _attachment("third.txt")]
        with pytest.raises(InputError, match=r"Saved 2 attachment.*second\.txt could not be saved"):
            save_all(items, tmp_path)
        assert (tmp_path / "first.txt").read_bytes() == b"data"
        assert (tmp_path / "third.txt").read_bytes() == b"data"
        assert not (tmp_path / "nowhere").exists()

    def test_nothing_to_save(self, tmp_path: Path) -> None:
        with pytest.raises(InputError, match="no attachments"):
            save_all([], tmp_path)
