"""FillingColumns: the rows of a cold sync join newest command first, late rows too."""

from __future__ import annotations

from smimetui.core.mail.imap.filling import FillingColumns
from smimetui.core.mail.imap.header_cache import HeaderCache

RANGES = [(101, 150), (1, 100)]  # newest command first: sequence 101-150, then 1-100


def _columns() -> FillingColumns:
    return FillingColumns(HeaderCache(), 1, RANGES)


def test_an_older_command_waits_for_the_newer_one() -> None:
    columns = _columns()
    columns.row(5, 5, 0, 0)
    columns.command_done(1)
    assert len(columns) == 0  # the older command finished first: it must wait
    columns.row(120, 120, 0, 0)
    columns.command_done(0)
    assert columns.index().uids() == [120, 5]


def test_rows_asked_again_after_their_command_joined_join_too() -> None:
    columns = _columns()
    columns.row(120, 120, 0, 0)
    columns.command_done(0)
    columns.row(7, 7, 0, 0)
    columns.command_done(1)
    columns.row(130, 130, 0, 0)  # a damaged response, fetched again after both completed
    columns.row(3, 3, 0, 0)
    assert columns.index().uids() == [120, 7]
    columns.late_rows_done()
    assert columns.index().uids() == [130, 120, 7, 3]
