"""Textual Theme objects and stylesheets.

Colours live only here, in :class:`~textual.theme.Theme` objects; the ``.tcss`` files refer to
``$variables`` only.  The app-specific variables (``$sig-good``, ``$unread`` ...) get their
defaults from :func:`variable_defaults`, and each theme may override them in ``variables``.
"""

from __future__ import annotations

from importlib import resources

from textual.theme import Theme

# Our variables beyond Textual's own, each derived from one of the theme's generated colours
# (Textual variables cannot refer to each other), so that every theme -- ours, a built-in or a
# user's -- gets sensible values; a theme overrides any of them in ``variables``.
APP_VARIABLES: dict[str, tuple[str, str]] = {
    "sig-good": ("success", ""),
    "sig-warn": ("warning", ""),
    "sig-bad": ("error", ""),
    "sig-encrypted": ("accent", ""),
    "unread": ("foreground", ""),
    "list-cursor": ("primary", " 40%"),
    "signed-boundary": ("success", ""),
    "status-background": ("panel", ""),
}

DARK = Theme(
    name="smimetui-dark",
    primary="#4A90D9",
    secondary="#2E5E8C",
    accent="#C792EA",
    warning="#E5C07B",
    error="#E06C75",
    success="#7FC77F",
    foreground="#D8DEE9",
    background="#1B1F27",
    surface="#232833",
    panel="#2B3140",
    dark=True,
    # Lighter than the theme's error and primary: at least 4.5:1 on the panel (footer, banners).
    variables={
        "unread": "#FFFFFF",
        "footer-key-foreground": "#7AB0EA",
        "sig-bad": "#F08A92",
    },
)

LIGHT = Theme(
    name="smimetui-light",
    primary="#1F5FAD",
    secondary="#5B7FA8",
    accent="#7B3FA0",
    warning="#9A6700",
    error="#B42318",
    success="#1A7F37",
    foreground="#1F2328",
    background="#FAFAF7",
    surface="#F0F0EB",
    panel="#E3E5E8",
    dark=False,
    # Darker state colours than the theme's own: at least 4.5:1 on the panel (status lines).
    variables={
        "unread": "#000000",
        "list-cursor": "#1F5FAD 25%",
        "sig-good": "#146C2E",
        "sig-warn": "#7F5600",
    },
)

# High contrast: pure black and white with fully saturated state colours; the words and icons
# carry the meaning anyway, colour only reinforces it.
HIGH_CONTRAST = Theme(
    name="smimetui-high-contrast",
    primary="#FFFF00",
    secondary="#00FFFF",
    accent="#FF00FF",
    warning="#FFFF00",
    error="#FF5555",
    success="#00FF00",
    foreground="#FFFFFF",
    background="#000000",
    surface="#000000",
    panel="#1A1A1A",
    boost="#333333",
    dark=True,
    variables={
        "unread": "#FFFFFF",
        "list-cursor": "#FFFF00 45%",
        "border": "#FFFFFF",
        "footer-key-foreground": "#FFFF00",
    },
)

THEMES: tuple[Theme, ...] = (DARK, LIGHT, HIGH_CONTRAST)
DEFAULT_THEME = DARK.name
# Short names accepted in the config (`theme = "light"`).
ALIASES: dict[str, str] = {
    "dark": DARK.name,
    "light": LIGHT.name,
    "high-contrast": HIGH_CONTRAST.name,
}


def variable_defaults(theme: Theme) -> dict[str, str]:
    """Values of our variables for ``theme``, from its generated colour system."""
    generated = theme.to_color_system().generate()
    return {name: generated[base] + suffix for name, (base, suffix) in APP_VARIABLES.items()}


def stylesheet(name: str = "app.tcss") -> str:
    """The text of one of our stylesheets (loaded through importlib.resources)."""
    return resources.files(__package__).joinpath(name).read_text(encoding="utf-8")


def resolve_name(name: str | None) -> str:
    """A theme name from the config: an alias, one of ours, or a Textual built-in name."""
    if not name:
        return DEFAULT_THEME
    return ALIASES.get(name, name)
