"""Open an attachment with the system's viewer: mailcap entries (RFC 1524, as NeoMutt reads
them), else ``xdg-open``.

Only commands the user set up are run (their mailcap files, or the desktop's default viewer
through xdg-open), and only when the user asked to open that attachment.  Untrusted values never
reach the shell unquoted: the file is a private copy whose name is sanitised, and ``%s``/``%t``
are replaced by shell-quoted values.  The copy lives in a private temporary folder (0700, file
0600) that is removed when the viewer returns (for xdg-open, which hands the file to a viewer
and returns at once, when smimetui exits).
"""

from __future__ import annotations

import atexit
import os
import shlex
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from smimetui.core.errors import InputError
from smimetui.core.sanitize import clean_filename

DEFAULT_PATHS = ("~/.mailcap", "/etc/mailcap", "/usr/etc/mailcap", "/usr/local/etc/mailcap")
MAX_MAILCAP_BYTES = 1024 * 1024
TEST_TIMEOUT = 5.0  # seconds for a test= command
OUTPUT_LIMIT = 4 * 1024 * 1024  # copiousoutput shown up to this many bytes


@dataclass(frozen=True, slots=True)
class MailcapEntry:
    mime_type: str  # "application/pdf", "image/*"
    command: str
    needs_terminal: bool = False
    copious_output: bool = False
    test: str = ""
    name_template: str = ""
    source: str = ""  # the file it came from

    def matches(self, content_type: str) -> bool:
        want = self.mime_type.lower()
        if want in (content_type, "*/*"):
            return True
        major = content_type.split("/", 1)[0]
        return want in (f"{major}/*", major)


@dataclass(frozen=True, slots=True)
class Viewer:
    """What will run: a mailcap entry, or xdg-open."""

    command: str  # a shell command line (mailcap), or "xdg-open"
    needs_terminal: bool = False
    copious_output: bool = False
    name_template: str = ""
    description: str = ""  # in words, for the notification


def mailcap_paths() -> list[Path]:
    """$MAILCAPS (colon-separated) when set, else RFC 1524's search path."""
    listed = os.environ.get("MAILCAPS")
    names = listed.split(":") if listed else list(DEFAULT_PATHS)
    return [Path(name).expanduser() for name in names if name]


def _split(line: str) -> list[str]:
    """Fields separated by unescaped ';' (``\\;`` is a literal semicolon)."""
    fields, current, escaped = [], [], False
    for ch in line:
        if escaped:
            current.append(ch if ch == ";" else "\\" + ch)
            escaped = False
        elif ch == "\\":
            escaped = True
        elif ch == ";":
            fields.append("".join(current).strip())
            current = []
        else:
            current.append(ch)
    fields.append("".join(current).strip())
    return fields


def _logical_lines(text: str) -> Iterator[str]:
    pending = ""
    for line in text.splitlines():
        if line.endswith("\\"):
            pending += line[:-1]
            continue
        yield pending + line
        pending = ""
    if pending:
        yield pending


def parse_mailcap(text: str, source: str = "") -> list[MailcapEntry]:
    entries: list[MailcapEntry] = []
    for line in _logical_lines(text):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        fields = _split(line)
        if len(fields) < 2 or not fields[0] or not fields[1]:
            continue
        flags: dict[str, str] = {}
        for flag in fields[2:]:
            key, _, value = flag.partition("=")
            flags[key.strip().lower()] = value.strip()
        entries.append(
            MailcapEntry(
                mime_type=fields[0].strip().lower(),
                command=fields[1],
                needs_terminal="needsterminal" in flags,
                copious_output="copiousoutput" in flags,
                test=flags.get("test", ""),
                name_template=flags.get("nametemplate", ""),
                source=source,
            )
        )
    return entries


def read_mailcaps(paths: list[Path] | None = None) -> list[MailcapEntry]:
    entries: list[MailcapEntry] = []
    for path in mailcap_paths() if paths is None else paths:
        try:
            with path.open("rb") as handle:
                data = handle.read(MAX_MAILCAP_BYTES)
        except OSError:
            continue
        entries.extend(parse_mailcap(data.decode("utf-8", "replace"), str(path)))
    return entries


def expand(command: str, path: Path | None, content_type: str) -> str:
    """Replace %s (the file), %t (the type) and %% in a mailcap command, shell-quoted."""
    out: list[str] = []
    i = 0
    while i < len(command):
        ch = command[i]
        nxt = command[i + 1] if i + 1 < len(command) else ""
        if ch == "%" and nxt == "s":
            out.append(shlex.quote(str(path)) if path is not None else "")
            i += 2
        elif ch == "%" and nxt == "t":
            out.append(shlex.quote(content_type))
            i += 2
        elif ch == "%" and nxt == "%":
            out.append("%")
            i += 2
        elif ch == "%" and nxt == "{":
            end = command.find("}", i)
            i = end + 1 if end > 0 else len(command)  # parameters are not passed on
        else:
            out.append(ch)
            i += 1
    return "".join(out)


def _test_passes(entry: MailcapEntry, content_type: str) -> bool:
    if not entry.test:
        return True
    try:
        done = subprocess.run(
            ["/bin/sh", "-c", expand(entry.test, None, content_type)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            timeout=TEST_TIMEOUT,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0


def find_viewer(content_type: str, entries: list[MailcapEntry] | None = None) -> Viewer:
    """The first mailcap entry for the type (viewers before copiousoutput filters), else
    xdg-open.  Raises InputError when there is neither."""
    content_type = content_type.lower()
    entries = read_mailcaps() if entries is None else entries
    matching = [e for e in entries if e.matches(content_type)]
    for entry in sorted(matching, key=lambda e: e.copious_output):
        if _test_passes(entry, content_type):
            return Viewer(
                command=entry.command,
                needs_terminal=entry.needs_terminal,
                copious_output=entry.copious_output,
                name_template=entry.name_template,
                description=f"the mailcap entry for {entry.mime_type} in {entry.source}",
            )
    if shutil.which("xdg-open"):
        return Viewer(command="xdg-open", description="xdg-open")
    raise InputError(
        f"There is no viewer for {content_type}: add an entry for it to ~/.mailcap, or "
        "save the attachment (w)."
    )


def _file_name(filename: str, template: str) -> str:
    name = clean_filename(filename) or "attachment"
    if template and template.count("%s") == 1:
        stem = name.rsplit(".", 1)[0] if "." in name else name
        name = clean_filename(template.replace("%s", stem)) or name
    return name.lstrip(".-") or "attachment"


_AT_EXIT: list[Path] = []  # copies handed to xdg-open, which returns before the viewer ends


def _remove_at_exit() -> None:
    for folder in _AT_EXIT:
        shutil.rmtree(folder, ignore_errors=True)
    _AT_EXIT.clear()


atexit.register(_remove_at_exit)


@contextmanager
def private_copy(
    data: bytes, filename: str, template: str = "", *, keep_until_exit: bool = False
) -> Iterator[Path]:
    """``data`` in a new private folder, removed afterwards (or when smimetui exits, for a
    viewer that returns at once, such as xdg-open)."""
    folder = Path(tempfile.mkdtemp(prefix="smimetui-open-"))
    try:
        path = folder / _file_name(filename, template)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        path.chmod(0o400)  # a viewer has no business changing it
        yield path
    finally:
        if keep_until_exit:
            _AT_EXIT.append(folder)
        else:
            shutil.rmtree(folder, ignore_errors=True)


def command_line(viewer: Viewer, path: Path, content_type: str) -> tuple[list[str], bool]:
    """argv to run, and whether the file goes on standard input (no %s in the entry)."""
    if viewer.command == "xdg-open":
        return ["xdg-open", str(path)], False
    uses_file = "%s" in viewer.command
    return ["/bin/sh", "-c", expand(viewer.command, path, content_type)], not uses_file


# xdg-open picks a program by the file's name and content, chosen by the sender: names that a
# desktop may run rather than show are refused (the copy is never executable: 0400).
RISKY_EXTENSIONS = frozenset(
    [
        ".desktop",
        ".sh",
        ".bash",
        ".exe",
        ".com",
        ".bat",
        ".cmd",
        ".msi",
        ".jar",
        ".py",
        ".pl",
        ".rb",
        ".appimage",
        ".run",
        ".bin",
        ".deb",
        ".rpm",
        ".flatpakref",
        ".lnk",
        ".scr",
        ".vbs",
        ".js",
        ".ps1",
    ]
)


def check_xdg_open(viewer: Viewer, filename: str) -> None:
    name = clean_filename(filename).lower()
    if viewer.command == "xdg-open" and any(name.endswith(ext) for ext in RISKY_EXTENSIONS):
        raise InputError(
            f"{clean_filename(filename)} could be run as a program by the desktop, so it is not "
            "opened with xdg-open: save it (w), or add a mailcap entry for its type."
        )


def run_viewer(viewer: Viewer, data: bytes, filename: str, content_type: str) -> str:
    """Open ``data`` with ``viewer`` from a private copy and wait for it; returns the output of
    a copiousoutput entry (else "").  The copy is removed when the viewer returns."""
    check_xdg_open(viewer, filename)
    later = viewer.command == "xdg-open"
    with private_copy(data, filename, viewer.name_template, keep_until_exit=later) as path:
        argv, on_stdin = command_line(viewer, path, content_type)
        stdin = path.open("rb") if on_stdin else subprocess.DEVNULL
        try:
            done = subprocess.run(
                argv,
                stdin=stdin,
                stdout=subprocess.PIPE if viewer.copious_output else None,
                stderr=subprocess.DEVNULL if not viewer.needs_terminal else None,
                check=False,
            )
        except OSError as err:
            raise InputError(f"The viewer could not be started: {err.strerror}.") from err
        finally:
            if on_stdin and not isinstance(stdin, int):
                stdin.close()
        if done.returncode != 0 and not viewer.copious_output:
            raise InputError(
                f"The viewer ({viewer.description}) ended with exit status {done.returncode}."
            )
        output = (done.stdout or b"") if viewer.copious_output else b""
        return output[:OUTPUT_LIMIT].decode("utf-8", "replace")
