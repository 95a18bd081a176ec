"""The files some pages' examples start from without making them, made first in the page's
working directory (`test_doc_blocks.py` runs each page in one)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

__all__ = ["SETUPS"]

SETUPS: dict[str, Callable[[Path], None]] = {}
"""Page (relative to the repository) -> what makes its files."""
