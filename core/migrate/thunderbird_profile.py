"""Finding a Thunderbird profile: the one given, else the default one of ``profiles.ini``.

Looked for in ``~/.thunderbird`` (and the Snap and Flatpak places).  ``profiles.ini`` names the
default profile in an ``[Install…]`` section (Thunderbird 68 and later) or with ``Default=1``;
without it, a single ``*.default*`` folder holding ``cert9.db`` is taken.
"""

from __future__ import annotations

import configparser
from pathlib import Path

from smimetui.core.errors import InputError

ROOTS = (
    "~/.thunderbird",
    "~/snap/thunderbird/common/.thunderbird",
    "~/.var/app/org.mozilla.Thunderbird/.thunderbird",
)


def check_profile(folder: Path) -> Path:
    """``folder`` if it holds an NSS database Thunderbird 58 or later wrote."""
    if not folder.is_dir():
        raise InputError(f"There is no Thunderbird profile at {folder}.")
    if not (folder / "cert9.db").exists():
        if (folder / "cert8.db").exists():
            raise InputError(
                f"The profile {folder} still uses the old cert8.db format; open it once in a "
                "current Thunderbird, which converts it to cert9.db."
            )
        raise InputError(
            f"{folder} is not a Thunderbird profile: it has no certificate database (cert9.db)."
        )
    return folder


def _from_ini(root: Path) -> Path | None:
    ini = root / "profiles.ini"
    if not ini.exists():
        return None
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read_string(ini.read_text("utf-8", "replace"))
    except (OSError, configparser.Error) as err:
        raise InputError(f"{ini} cannot be read: {err}.") from err
    for section in parser.sections():  # the install's default comes first
        default = parser[section].get("Default")
        if section.startswith("Install") and default:
            return root / default
    for section in parser.sections():
        if section.startswith("Profile") and parser[section].get("Default", "") == "1":
            path = parser[section].get("Path", "")
            relative = parser[section].get("IsRelative", "1") == "1"
            return (root / path) if relative else Path(path)
    return None


def locate(given: str | None) -> Path:
    if given:
        return check_profile(Path(given).expanduser())
    for root in (Path(r).expanduser() for r in ROOTS):
        if not root.is_dir():
            continue
        found = _from_ini(root)
        if found is not None:
            return check_profile(found)
        candidates = sorted(p for p in root.glob("*.default*") if (p / "cert9.db").exists())
        if len(candidates) == 1:
            return candidates[0]
        if candidates:
            raise InputError(
                f"{root} holds {len(candidates)} profiles and profiles.ini names no default; "
                "give the profile folder."
            )
    raise InputError(
        "No Thunderbird profile was found (looked in ~/.thunderbird); give the profile folder."
    )
