"""The README's layout table names every module and package of `streams/`: a newcomer finds each one."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
#: packages described as a whole in the table (their own modules are not listed one by one)
WHOLE = {"streams/nlp", "streams/eval"}


def _layout() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    layout = readme.split("\n## Layout\n", 1)[1].split("\n## ", 1)[0]
    return re.sub(r"```.*?```", "", layout, flags=re.S)  # the tree drawn above the table


def _missing(directory: Path, named: set[str]) -> list[str]:
    missing = []
    for path in sorted(directory.iterdir()):
        relative = path.relative_to(ROOT).as_posix()
        if path.suffix == ".py" and path.name not in ("__init__.py", "__main__.py"):
            if relative not in named:
                missing.append(relative)
        elif path.is_dir() and (path / "__init__.py").exists():
            if f"{relative}/" not in named:
                missing.append(f"{relative}/")
            if relative not in WHOLE:
                missing += _missing(path, named)
    return missing


def test_every_module_and_package_is_in_the_layout_table():
    missing = _missing(ROOT / "streams", set(re.findall(r"`([^`]+)`", _layout())))
    assert not missing, f"add these to the README's Layout table: {', '.join(missing)}"


def test_a_module_left_out_is_reported(tmp_path, monkeypatch):
    (tmp_path / "streams" / "pkg").mkdir(parents=True)
    (tmp_path / "streams" / "pkg" / "__init__.py").write_text("")
    (tmp_path / "streams" / "pkg" / "mod.py").write_text("")
    monkeypatch.setattr(__import__(__name__, fromlist=["ROOT"]), "ROOT", tmp_path)
    assert _missing(tmp_path / "streams", {"streams/pkg/"}) == ["streams/pkg/mod.py"]
