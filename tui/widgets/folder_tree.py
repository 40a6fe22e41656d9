"""The folder tree with unread counts (a handful of rows, so Textual's Tree is fine)."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.binding import Binding, BindingType
from textual.widgets import Tree
from textual.widgets.tree import TreeNode

from smimetui.core.mail.base import Folder, FolderRole

_ROLE_ORDER = {
    FolderRole.INBOX: 0,
    FolderRole.DRAFTS: 1,
    FolderRole.SENT: 2,
    FolderRole.ARCHIVE: 3,
    FolderRole.JUNK: 4,
    FolderRole.TRASH: 5,
}


def folder_label(folder: Folder, leaf: str) -> Text:
    """A rich Text (the Tree's label type), built literally: folder names are never markup."""
    label = Text(leaf)
    if folder.unread:
        label.append(f" ({folder.unread})", style="bold")
    return label


class FolderTree(Tree[Folder]):
    """Folders nested by their delimiter; the data of each node is its :class:`Folder`."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("j", "cursor_down", "Down", show=False, id="folders-down"),
        Binding("k", "cursor_up", "Up", show=False, id="folders-up"),
        Binding("g", "scroll_home", "First", show=False, id="folders-first"),
        Binding("G", "scroll_end", "Last", show=False, id="folders-last"),
    ]

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("Folders", id=id)
        self.show_root = False
        self.guide_depth = 2
        self.folders: dict[str, Folder] = {}
        self._folder_nodes: dict[str, TreeNode[Folder]] = {}

    def set_folders(self, folders: list[Folder], select: str | None = None) -> None:
        self.clear()
        self.folders = {f.name: f for f in folders}
        self._folder_nodes = {}
        ordered = sorted(
            folders, key=lambda f: (_ROLE_ORDER.get(f.role, 9) if f.role else 9, f.display.lower())
        )
        for folder in ordered:
            self._add(folder)
        self.root.expand_all()
        if select and select in self._folder_nodes:
            self.move_cursor(self._folder_nodes[select])

    def _add(self, folder: Folder) -> None:
        parts = folder.display.split(folder.delimiter) if folder.delimiter else [folder.display]
        parent: TreeNode[Folder] = self.root
        prefix = ""
        for part in parts[:-1]:
            prefix = f"{prefix}{folder.delimiter}{part}" if prefix else part
            node = self._folder_nodes.get(prefix)
            if node is None:
                node = parent.add(Text(part), expand=True)
                self._folder_nodes[prefix] = node
            parent = node
        self._folder_nodes[folder.name] = parent.add_leaf(
            folder_label(folder, parts[-1]), data=folder
        )

    def update_folder(self, folder: Folder) -> None:
        node = self._folder_nodes.get(folder.name)
        if node is None:
            return
        self.folders[folder.name] = folder
        leaf = folder.display.split(folder.delimiter)[-1] if folder.delimiter else folder.display
        node.data = folder
        node.set_label(folder_label(folder, leaf))
