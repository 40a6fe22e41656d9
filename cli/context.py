"""What every CLI handler gets: the resolved home and output helpers."""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from typing import Any

from smimetui.core.settings.home import Home


@dataclass(frozen=True, slots=True)
class Context:
    home: Home

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> Context:
        home = Home.resolve(getattr(args, "home", None))
        home.secure()  # an existing home made before modes were enforced, or changed since
        return cls(home=home)

    @staticmethod
    def print_json(data: Any) -> None:
        json.dump(data, sys.stdout, indent=2, ensure_ascii=False, default=str)
        sys.stdout.write("\n")

    @staticmethod
    def out(line: str = "") -> None:
        sys.stdout.write(line + "\n")
