"""The Maildir backend on a real Maildir++ tree on disk."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smimetui.core.errors import BackendError, FolderNotFoundError, MessageNotFoundError
from smimetui.core.mail.base import (
    ANSWERED,
    DELETED,
    DRAFT,
    FLAGGED,
    SEEN,
    FolderRole,
    MailBackend,
    SecurityHint,
)
from smimetui.core.mail.maildir.backend import MaildirBackend, split_name
from smimetui.core.mail.maildir.summaries import searchable_text, summarize
from tests.support.mailgen import ENCRYPTED_SHAPE, SIGNED_SHAPE, plain, with_attachment


def deliver(folder_dir: Path, name: str, raw: bytes, sub: str = "new") -> Path:
    path = folder_dir / sub / name
    path.write_bytes(raw)
    return path


@pytest.fixture
def maildir(tmp_path: Path) -> Path:
    root = tmp_path / "Mail"
    for sub in ("cur", "new", "tmp"):
        (root / sub).mkdir(parents=True)
    for folder in (".Sent", ".Drafts", ".Work.Projects", ".&AMQ-rger"):
        for sub in ("cur", "new", "tmp"):
            (root / folder / sub).mkdir(parents=True)
    deliver(root, "1700000001.M1P1.host", plain("first", when=0))
    deliver(root, "1700000002.M1P1.host:2,S", plain("second", when=1), "cur")
    deliver(root, "1700000003.M1P1.host:2,FRS", plain("third", when=2), "cur")
    return root


def test_is_a_mail_backend(maildir: Path) -> None:
    assert isinstance(MaildirBackend(maildir), MailBackend)


def test_not_a_maildir(tmp_path: Path) -> None:
    with pytest.raises(BackendError, match="not a Maildir"):
        MaildirBackend(tmp_path)


class TestFolders:
    def test_list_with_roles_counts_and_names(self, maildir: Path) -> None:
        folders = {f.name: f for f in MaildirBackend(maildir).list_folders()}
        assert list(folders)[0] == "INBOX"
        assert set(folders) == {"INBOX", "Sent", "Drafts", "Work.Projects", "&AMQ-rger"}
        assert folders["INBOX"].role is FolderRole.INBOX
        assert folders["Sent"].role is FolderRole.SENT
        assert folders["Drafts"].role is FolderRole.DRAFTS
        assert folders["INBOX"].total == 3 and folders["INBOX"].unread == 1
        assert folders["&AMQ-rger"].display == "Ärger"  # modified UTF-7, as Dovecot writes
        assert folders["Work.Projects"].delimiter == "."

    def test_role_lookup(self, maildir: Path) -> None:
        backend = MaildirBackend(maildir)
        assert backend.folder_for_role(FolderRole.SENT) == "Sent"
        assert backend.folder_for_role(FolderRole.TRASH) is None

    @pytest.mark.parametrize("name", ["../etc", ".hidden", "a/b", ""])
    def test_bad_names(self, maildir: Path, name: str) -> None:
        with pytest.raises(FolderNotFoundError):
            MaildirBackend(maildir).open_folder(name)

    def test_missing_folder(self, maildir: Path) -> None:
        with pytest.raises(FolderNotFoundError, match="no folder 'Nope'"):
            MaildirBackend(maildir).open_folder("Nope")


class TestIndex:
    def test_newest_first_with_flags(self, maildir: Path) -> None:
        index = MaildirBackend(maildir).open_folder("INBOX")
        rows = [index.summary(i) for i in range(len(index))]
        assert [r.subject for r in rows] == ["third", "second", "first"]
        assert [r.uid for r in rows] == [3, 2, 1]
        assert rows[0].flags == {SEEN, FLAGGED, ANSWERED}
        assert rows[2].flags == frozenset()
        assert rows[0].sender == "Alice <alice@example.org>"
        assert rows[0].sender_addr == "alice@example.org"
        assert rows[0].date is not None and rows[0].date.year == 2024
        assert index.position_of(1) == 2

    def test_uids_stable_across_flag_changes_and_reopen(self, maildir: Path) -> None:
        backend = MaildirBackend(maildir)
        backend.open_folder("INBOX")
        backend.set_flags("INBOX", [1], add=[SEEN, FLAGGED])
        deliver(maildir, "1700000009.M1P1.host", plain("fourth", when=3))
        index = MaildirBackend(maildir).open_folder("INBOX")
        by_uid = {index.summary(i).uid: index.summary(i) for i in range(len(index))}
        assert by_uid[1].subject == "first" and by_uid[1].flags == {SEEN, FLAGGED}
        assert by_uid[4].subject == "fourth"

    def test_removed_uid_never_reused(self, maildir: Path) -> None:
        backend = MaildirBackend(maildir)
        backend.open_folder("INBOX")
        next(maildir.glob("cur/1700000003*")).unlink()
        deliver(maildir, "1700000010.M1P1.host", plain("new"))
        index = backend.open_folder("INBOX")
        assert sorted(index.uid_at(i) for i in range(len(index))) == [1, 2, 4]

    def test_lost_uid_map_changes_uidvalidity(self, maildir: Path) -> None:
        backend = MaildirBackend(maildir)
        backend.open_folder("INBOX")
        before = backend.uidvalidity("INBOX")
        time.sleep(1.01)  # UIDVALIDITY is a timestamp in seconds
        (maildir / "smimetui-uidlist").write_text("garbage")
        assert backend.uidvalidity("INBOX") > before
        index = backend.open_folder("INBOX")
        assert sorted(index.uid_at(i) for i in range(len(index))) == [1, 2, 3]

    def test_security_hints_and_attachments(self, maildir: Path) -> None:
        deliver(maildir, "1700000004.M1P1.host", SIGNED_SHAPE)
        deliver(maildir, "1700000005.M1P1.host", ENCRYPTED_SHAPE)
        deliver(maildir, "1700000006.M1P1.host", with_attachment("pdf"))
        index = MaildirBackend(maildir).open_folder("INBOX")
        rows = {index.summary(i).uid: index.summary(i) for i in range(len(index))}
        assert rows[4].security is SecurityHint.SIGNED
        assert not rows[4].has_attachments  # smime.p7s is not an attachment
        assert rows[5].security is SecurityHint.ENCRYPTED
        assert rows[5].subject == "secret ✓"
        assert rows[6].has_attachments and rows[6].security is SecurityHint.NONE
        assert not rows[1].has_attachments

    def test_hostile_headers_are_sanitised(self, maildir: Path) -> None:
        raw = b"From: =?utf-8?q?Evil=1B[31m?= <e@x>\r\nSubject: a\x1b]0;pwn\x07b\r\n\r\nbody"
        deliver(maildir, "1700000007.M1P1.host", raw)
        row = MaildirBackend(maildir).open_folder("INBOX").summary(0)
        assert "\x1b" not in row.sender + row.subject and "\x07" not in row.subject

    def test_garbage_file_still_listed(self, maildir: Path) -> None:
        deliver(maildir, "1700000008.M1P1.host", b"\xff\xfe\x00no headers at all")
        row = MaildirBackend(maildir).open_folder("INBOX").summary(0)
        assert row.uid == 4 and row.subject == ""

    def test_progress_reported(self, maildir: Path) -> None:
        seen: list[tuple[int, int]] = []
        MaildirBackend(maildir).open_folder("INBOX", lambda d, t: seen.append((d, t)))
        assert seen[-1] == (3, 3)


class TestMessages:
    def test_fetch_raw_is_exact(self, maildir: Path) -> None:
        backend = MaildirBackend(maildir)
        backend.open_folder("INBOX")
        assert backend.fetch_raw("INBOX", 1) == plain("first", when=0)

    def test_fetch_after_rename_elsewhere(self, maildir: Path) -> None:
        backend = MaildirBackend(maildir)
        backend.open_folder("INBOX")
        src = maildir / "new" / "1700000001.M1P1.host"
        src.rename(maildir / "cur" / "1700000001.M1P1.host:2,S")  # another MUA read it
        assert backend.fetch_raw("INBOX", 1) == plain("first", when=0)

    def test_fetch_missing(self, maildir: Path) -> None:
        with pytest.raises(MessageNotFoundError, match="no message 99 in 'INBOX'"):
            MaildirBackend(maildir).fetch_raw("INBOX", 99)

    def test_set_flags_moves_to_cur_and_keeps_keywords(self, maildir: Path) -> None:
        deliver(maildir, "1700000011.M1P1.host:2,Sa", plain("kw"), "cur")
        backend = MaildirBackend(maildir)
        backend.open_folder("INBOX")
        backend.set_flags("INBOX", [1, 4], add=[FLAGGED], remove=[SEEN])
        names = {split_name(p.name)[0]: p for p in maildir.glob("*/*.host*")}
        assert names["1700000001.M1P1.host"].name.endswith(":2,F")
        assert names["1700000001.M1P1.host"].parent.name == "cur"
        assert names["1700000011.M1P1.host"].name.endswith(":2,Fa")

    def test_append_returns_uid_and_flags(self, maildir: Path) -> None:
        backend = MaildirBackend(maildir)
        uid = backend.append("Sent", b"Subject: x\r\n\r\nbody\r\n", [SEEN])
        assert uid == 1
        assert backend.fetch_raw("Sent", 1) == b"Subject: x\r\n\r\nbody\r\n"
        assert backend.open_folder("Sent").summary(0).flags == {SEEN}
        assert not list((maildir / ".Sent" / "tmp").iterdir())

    def test_append_creates_missing_folder(self, maildir: Path) -> None:
        backend = MaildirBackend(maildir)
        backend.append("Outbox", b"Subject: y\r\n\r\n", [DRAFT])
        assert "Outbox" in [f.name for f in backend.list_folders()]

    def test_copy_and_move(self, maildir: Path) -> None:
        backend = MaildirBackend(maildir)
        backend.open_folder("INBOX")
        backend.copy("INBOX", [3], "Work.Projects")
        backend.move("INBOX", [2], "Work.Projects")
        work = backend.open_folder("Work.Projects")
        assert sorted(work.summary(i).subject for i in range(len(work))) == ["second", "third"]
        assert {work.summary(i).subject: work.summary(i).flags for i in range(2)}["third"] == {
            SEEN,
            FLAGGED,
            ANSWERED,
        }
        inbox = backend.open_folder("INBOX")
        assert sorted(inbox.summary(i).subject for i in range(len(inbox))) == ["first", "third"]

    def test_move_to_missing_folder_loses_nothing(self, maildir: Path) -> None:
        backend = MaildirBackend(maildir)
        backend.open_folder("INBOX")
        with pytest.raises(FolderNotFoundError):
            backend.move("INBOX", [1], "Nope")
        assert len(backend.open_folder("INBOX")) == 3

    def test_delete_to_trash_then_expunge_there(self, maildir: Path) -> None:
        backend = MaildirBackend(maildir)
        backend.open_folder("INBOX")
        backend.delete("INBOX", [1])
        assert backend.folder_for_role(FolderRole.TRASH) == "Trash"
        trash = backend.open_folder("Trash")
        assert trash.summary(0).subject == "first"
        backend.delete("Trash", [trash.uid_at(0)])
        assert len(backend.open_folder("Trash")) == 0

    def test_expunge_only_deleted(self, maildir: Path) -> None:
        backend = MaildirBackend(maildir)
        backend.open_folder("INBOX")
        backend.set_flags("INBOX", [2], add=[DELETED])
        backend.expunge("INBOX")
        index = backend.open_folder("INBOX")
        assert sorted(index.uid_at(i) for i in range(len(index))) == [1, 3]

    def test_search_headers_and_body(self, maildir: Path) -> None:
        deliver(maildir, "1700000012.M1P1.host", plain("needle", body="Haystack Straw"))
        backend = MaildirBackend(maildir)
        assert backend.search("INBOX", "haystack") == [4]
        assert backend.search("INBOX", "THIRD") == [3]
        assert backend.search("INBOX", "absent") == []


class TestHostileInput:
    @settings(max_examples=150, deadline=None)
    @given(
        st.one_of(
            st.binary(max_size=2000),
            st.lists(
                st.sampled_from(
                    [
                        b"Content-Type: multipart/mixed; boundary=x\r\n",
                        b"Content-Type: application/pkcs7-mime; smime-type=\r\n",
                        b"Content-Disposition: attachment; filename*=bogus''%ZZ\r\n",
                        b"From: =?x-unknown?b?!!?= <>\r\n",
                        b"Date: Mon, 99 Foo 99999 99:99:99 +9999\r\n",
                        b"Subject: =?utf-8?q?=FF=FE?=\r\n",
                        b"\r\n--x\r\nContent-Type: text/plain; charset=nope\r\n\r\nhi\r\n",
                        b"--x--\r\n",
                        b"\x00\xff\r\n",
                    ]
                ),
                max_size=12,
            ).map(b"".join),
        )
    )
    def test_summarize_and_search_never_raise(self, raw: bytes) -> None:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "m"
            path.write_bytes(raw)
            row = summarize(1, path, frozenset())
            assert row.uid == 1
            searchable_text(raw)
