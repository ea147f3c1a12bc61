"""Settings: every one is documented, and bad values are refused with the variable's name."""

from __future__ import annotations

from pathlib import Path

import pydantic
import pytest

from streams.settings import Settings

README = Path(__file__).resolve().parent.parent / "README.md"


def test_every_setting_is_listed_in_the_readme():
    readme = README.read_text(encoding="utf-8")
    missing = [name for name in Settings.model_fields if f"`NEWSWIRE_{name.upper()}" not in readme]
    assert not missing, f"settings missing from the README's table: {missing}"


def test_an_unknown_blas_is_refused(monkeypatch):
    monkeypatch.setenv("NEWSWIRE_BLAS", "mkl")
    with pytest.raises(pydantic.ValidationError, match="blas"):
        Settings()
