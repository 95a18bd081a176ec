"""The poll views of ended runs, remembered per worker.

An ended run no longer changes, and its poll view depends only on the stored run, the poll
operation and the base URL the client reached (a view hook must not read the clock once a run
has ended: `ViewHook`). A client that polls a finished run again, or a loop that overshoots the
end, gets the view built the first time, with its JSON already encoded.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from mockserver.engine.lifecycle import Run

__all__ = ["EndedView", "EndedViews"]


@dataclass(frozen=True)
class EndedView:
    """One ended run's poll view: valid while the store holds exactly `stored`."""

    stored: dict[str, Any]
    run: Run
    body: Any
    encoded: bytes


class EndedViews:
    """A bounded map of (operation, run key, base URL) -> the view last built for it.

    A view is used only while the stored run still equals the one it was built from, so a
    reset, a deletion or a change by another worker is never answered from here.
    """

    def __init__(self, size: int = 512) -> None:
        self._size = size
        self._views: dict[tuple[str, str, str], EndedView] = {}
        self._lock = threading.Lock()

    def find(self, operation: str, key: str, base_url: str, stored: dict[str, Any]
             ) -> EndedView | None:
        view = self._views.get((operation, key, base_url))
        return view if view is not None and view.stored == stored else None

    def keep(self, operation: str, key: str, base_url: str, view: EndedView) -> None:
        with self._lock:  # only on a miss: eviction must not race another thread's
            if len(self._views) >= self._size:
                self._views.pop(next(iter(self._views)))
            self._views[(operation, key, base_url)] = view
