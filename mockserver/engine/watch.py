"""The vendor's rules across exchanges (`contracts.observer`), watched over the mock's store.

The proxy's workers share one history this way: runs, records and issued tokens (hashed) live
under the proxy's own store keys.
"""

from __future__ import annotations

from typing import Any

from contracts.observer import Observer, Seen
from mockserver.engine.contract import Contract
from mockserver.engine.verdicts import Judged
from mockserver.storage import Store, keys

__all__ = ["StoreState", "observer_for", "watch_exchange"]

_KINDS = {"run": keys.PROXY_RUNS, "record": keys.PROXY_RECORDS, "token": keys.PROXY_TOKENS}


class StoreState:
    """An observer's state in a `Store`, under the keys `storage/keys.py` names."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def get(self, kind: str, key: str) -> dict[str, Any] | None:
        return self.store.get(_KINDS[kind], key)

    def put(self, kind: str, key: str, value: dict[str, Any]) -> None:
        self.store.put(_KINDS[kind], key, value)


def observer_for(store: Store, contract: Contract) -> Observer:
    """One vendor's observer, keeping its history in `store`."""
    return Observer(contract.document, contract.extensions, StoreState(store))


def watch_exchange(observer: Observer, judged: Judged, authorization: str | None, status: int,
                   body: Any) -> list[str]:
    """The rules across exchanges this answer breaks: lifecycles and links, tenants, deleted
    records, list pages."""
    operation = judged.operation
    if operation is None:
        return []
    seen = Seen(operation.id, status, judged.path_params, judged.request, body, authorization)
    return [f"{operation.id} {status}: {problem}" for _, problem in observer.observe(seen)]
