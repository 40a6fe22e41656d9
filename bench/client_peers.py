"""The three mail clients of ``bench.clients``, each set up on the bench's Dovecot account.

Every client gets its own configuration and cache under the run's work directory, is launched
in tmux by one command line, and knows how to forget its cache (a cold start), how to bring its
cache up to date with the server (before a warm start or a resync) and how to quit.

- smimetui: ``smimetui --home DIR`` (the installed console script), an IMAP account added with
  ``smimetui account add``; its header cache is ``DIR/cache``; primed with ``smimetui sync``.
- aerc: ``accounts.conf`` with ``cache-headers = true`` (its header cache, in
  ``$XDG_CACHE_HOME/aerc``); primed by one run until the newest row shows.
- NeoMutt: ``neomutt -n -F muttrc`` with ``header_cache`` in the work directory, newest first
  (``sort=reverse-date``); primed by one run until the newest row shows.
"""

from __future__ import annotations

import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from bench.client_tmux import Tmux
from bench.mailbox import PASSWORD, USER

READY_TIMEOUT = 60.0


@dataclass
class Client:
    """One mail client: how to start it, forget its cache, prime it and quit it."""

    name: str
    command: str
    cache: Path
    quit_keys: tuple[str, ...]
    env: dict[str, str] = field(default_factory=dict)
    prime_command: list[str] | None = None  # a non-interactive sync, when the client has one

    def forget(self) -> None:
        """Drop the client's cache: the next start is cold."""
        shutil.rmtree(self.cache, ignore_errors=True)
        self.cache.mkdir(parents=True)

    def prime(self, tmux: Tmux, newest: str) -> None:
        """Bring the client's cache up to date with the server."""
        if self.prime_command is not None:
            subprocess.run(self.prime_command, check=True, capture_output=True)
            return
        pane = tmux.launch(self.command, self.env)
        pane.wait_text(newest, READY_TIMEOUT)
        pane.end(self.quit_keys)


def smimetui_client(work: Path, port: int) -> Client:
    home = work / "smimetui-home"
    exe = str(Path(sys.executable).with_name("smimetui"))
    if not Path(exe).exists():
        exe = shutil.which("smimetui") or exe
    add = [exe, "--home", str(home), "account", "add", "bench", "--email", "bench@example.org"]
    add += ["--imap-host", "127.0.0.1", "--imap-port", str(port), "--imap-security", "none"]
    add += ["--username", USER, "--password-command", f"echo {PASSWORD}"]
    subprocess.run(add, check=True, capture_output=True)
    return Client(
        name="smimetui",
        command=shlex.join([exe, "--home", str(home)]),
        cache=home / "cache",
        quit_keys=("q",),
        prime_command=[exe, "--home", str(home), "sync"],
    )


def aerc_client(work: Path, port: int) -> Client:
    config = work / "aerc-config"
    (config / "aerc").mkdir(parents=True, exist_ok=True)
    accounts = config / "aerc" / "accounts.conf"
    accounts.write_text(
        "[bench]\n"
        f"source = imap+insecure://{USER}:{PASSWORD}@127.0.0.1:{port}\n"
        "outgoing = /bin/false\n"
        "default = INBOX\n"
        "from = Bench <bench@example.org>\n"
        "cache-headers = true\n"
    )
    accounts.chmod(0o600)
    (config / "aerc" / "aerc.conf").write_text("[general]\nunsafe-accounts-conf = true\n")
    cache = work / "aerc-cache"
    return Client(
        name="aerc",
        command="aerc",
        cache=cache,
        quit_keys=(":quit", "Enter"),
        env={"XDG_CONFIG_HOME": str(config), "XDG_CACHE_HOME": str(cache)},
    )


def neomutt_client(work: Path, port: int) -> Client:
    muttrc = work / "muttrc"
    cache = work / "neomutt-cache"
    muttrc.write_text(
        f'set folder = "imap://{USER}@127.0.0.1:{port}/"\n'
        f'set imap_pass = "{PASSWORD}"\n'
        'set spoolfile = "+INBOX"\n'
        f'set header_cache = "{cache}/"\n'
        "set sort = reverse-date\n"
        "set ssl_starttls = no\n"
        "set ssl_force_tls = no\n"
        "set mail_check_stats = no\n"
        "set imap_check_subscribed = no\n"
        "set quit = yes\n"
    )
    return Client(
        name="neomutt",
        command=shlex.join(["neomutt", "-n", "-F", str(muttrc)]),
        cache=cache,
        quit_keys=("q",),
    )
