"""Where a request reaches a vendor: one rule for `serve`, `proxy` and `serve --from-recording`.

A vendor is reached, first match wins:

1. by its real host (`Host: api.futurity.work`, as intercepted requests carry it) at its
   documented server path (`/v1/...`);
2. below its mount prefix (`/futurity/v1/...`), the longest prefix first;
3. when it is the only vendor mounted, at its documented server path at the root (`/v1/...`).

Never a vendor's: the control API (`/__mock__/...`) and each vendor's `<prefix>/openapi.json`
and `<prefix>/docs`. What follows the matched part is the path below the vendor's base URL, the
same whichever way the vendor was reached, so a request is routed, forwarded and recorded alike.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Generic, TypeVar
from urllib.parse import urlsplit

from mockserver.mock import Mock
from mockserver.web.control import PREFIX as CONTROL_PREFIX

__all__ = ["PAGES", "Mounts"]

PAGES = ("openapi.json", "docs")
"""The pages below each mount prefix that describe the vendor rather than call it."""

T = TypeVar("T")


class Mounts(Generic[T]):
    """Each mounted vendor's target (a pipeline, a vendor name, a pipeline and its upstream),
    found by the rule above. The tables are built once and `resolve` returns tuples made here,
    so resolving allocates nothing."""

    def __init__(self, mock: Mock, targets: Mapping[str, T]) -> None:
        self.prefixes: dict[str, str] = {name: mock.mount_prefix(name) for name in targets}
        """Each vendor's mount prefix, by vendor name: what a 404 names."""
        self._control = CONTROL_PREFIX + "/"
        self._pages = frozenset(f"{prefix}/{page}" for prefix in self.prefixes.values()
                                for page in PAGES)
        self._by_host: dict[str, tuple[str, tuple[T, str]]] = {}
        self._by_prefix: list[tuple[str, str, tuple[T, str]]] = []
        self._only: tuple[str, str, tuple[T, str]] | None = None
        for name, target in targets.items():
            contract = mock.vendors[name].contract
            root = contract.server_path
            self._by_host[urlsplit(contract.server_url).netloc] = (root + "/", (target, root))
            prefix = self.prefixes[name]
            self._by_prefix.append((prefix, prefix + "/", (target, prefix)))
            if len(targets) == 1:
                self._only = (root, root + "/", (target, root))
        self._by_prefix.sort(key=lambda item: len(item[0]), reverse=True)

    def resolve(self, host: str, path: str) -> tuple[T, str] | None:
        """The target and the part of `path` to strip, or None when `path` is no vendor's."""
        if path.startswith(self._control) or path in self._pages:
            return None
        by_host = self._by_host.get(host)
        if by_host is not None and path.startswith(by_host[0]):
            return by_host[1]
        for prefix, below, found in self._by_prefix:
            if path.startswith(below) or path == prefix:
                return found
        only = self._only
        if only is not None and (path.startswith(only[1]) or path == only[0]):
            return only[2]
        return None
