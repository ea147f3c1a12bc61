"""Helpers the test modules import (conftest.py keeps only fixtures)."""

from __future__ import annotations

from pathlib import Path

from streams.tools.broker import free_port

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
SEED = Path(__file__).resolve().parent.parent.parent / "seeds" / "000_ef05e9ccc23091e5.txt"

__all__ = ["FIXTURES", "SEED", "free_port"]
