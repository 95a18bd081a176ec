"""`--record DIR`: every exchange appended to one HAR 1.2 file that stays valid after each.

Several gunicorn workers append to the same file, so each append takes an exclusive `flock` and
writes just before the closing brackets: the file is a complete HAR document at every moment,
and an append costs the same on the thousandth exchange as on the first.
"""

from __future__ import annotations

import fcntl
import json
import os
from pathlib import Path
from typing import Any

from contracts.recording import HAR_FILE

__all__ = ["HarWriter"]

_HEAD = (b'{"log": {"version": "1.2", "creator": {"name": "mockserver proxy", "version": "1"}, '
         b'"entries": [\n')
_TAIL = b"\n]}}\n"


class HarWriter:
    """Appends HAR entries to `DIR/recording.har`, creating it if needed (a recording of an
    earlier session goes on; a HAR file of another tool is refused)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.path = directory / HAR_FILE
        directory.mkdir(parents=True, exist_ok=True)
        with open(self.path, "a+b") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            size = handle.seek(0, os.SEEK_END)
            if size == 0:
                handle.write(_HEAD + _TAIL)
                return
            handle.seek(max(0, size - len(_TAIL)))
            if size < len(_HEAD) + len(_TAIL) or handle.read() != _TAIL:
                raise ValueError(f"{self.path} is not a recording the proxy wrote; record "
                                 "into another directory")

    def append(self, entry: dict[str, Any]) -> None:
        data = json.dumps(entry, ensure_ascii=False).encode()
        with open(self.path, "r+b") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            size = handle.seek(0, os.SEEK_END)
            handle.seek(size - len(_TAIL))
            if handle.read(len(_TAIL)) != _TAIL:
                raise ValueError(f"{self.path} was changed by something else; not appending")
            handle.seek(size - len(_TAIL))
            first = size == len(_HEAD) + len(_TAIL)
            handle.write((b"" if first else b",\n") + data + _TAIL)
