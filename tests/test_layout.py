"""The README's layout table names every module and package of `streams/`: a newcomer finds each one."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _layout() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    return readme.split("\n## Layout\n", 1)[1].split("\n## ", 1)[0]


def test_every_module_and_package_is_in_the_layout_table():
    named = set(re.findall(r"`([^`]+)`", _layout()))
    missing = []
    for path in sorted((ROOT / "streams").iterdir()):
        if path.suffix == ".py" and path.name != "__init__.py":
            if f"streams/{path.name}" not in named and path.name not in named:
                missing.append(f"streams/{path.name}")
        elif path.is_dir() and (path / "__init__.py").exists():
            if not any(n.startswith(f"streams/{path.name}/") for n in named):
                missing.append(f"streams/{path.name}/")
    assert not missing, f"add these to the README's Layout table: {', '.join(missing)}"
