"""User key remapping and UI settings from the config file.

``config.toml`` may hold::

    [ui]
    theme = "light"          # dark, light, high-contrast, or any Textual theme name
    threading = true
    mark_read_after = 2      # a preview shown this long marks the message read (default: Enter)

    [keys]
    reply = "R"              # binding id = key(s), comma separated
    mailbox-quit = "q,ctrl+q"

Binding ids are listed on the help screen (``?``) and in the README.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from smimetui.core.errors import ConfigError


@dataclass(frozen=True, slots=True)
class UiSettings:
    theme: str | None = None
    threading: bool = False
    editor: str = ""  # overrides $EDITOR for the compose pane
    mark_read_after: float | None = None  # seconds a preview marks read; None: only on opening
    keymap: dict[str, str] = field(default_factory=dict)


def ui_settings(config: dict[str, Any]) -> UiSettings:
    """Read ``[ui]`` and ``[keys]``; a wrong type is a ConfigError naming the setting."""
    ui = config.get("ui", {})
    keys = config.get("keys", {})
    if not isinstance(ui, dict) or not isinstance(keys, dict):
        raise ConfigError("In config.toml, [ui] and [keys] must be tables.")
    keymap: dict[str, str] = {}
    for binding_id, value in keys.items():
        if isinstance(value, list):
            value = ",".join(str(v) for v in value)
        if not isinstance(value, str) or not value.strip():
            raise ConfigError(
                f'In config.toml [keys], {binding_id} must be a key such as "ctrl+r".'
            )
        keymap[str(binding_id)] = value.replace(" ", "")
    theme = ui.get("theme")
    if theme is not None and not isinstance(theme, str):
        raise ConfigError('In config.toml [ui], theme must be a name such as "dark".')
    return UiSettings(
        theme=theme,
        mark_read_after=_seconds(ui.get("mark_read_after")),
        threading=bool(ui.get("threading", False)),
        editor=str(ui.get("editor", "")),
        keymap=keymap,
    )


def _seconds(value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise ConfigError(
            "In config.toml [ui], mark_read_after must be a number of seconds such as 2."
        )
    return float(value)
