"""`requests`' look-up of proxy settings in the environment, skipped for intercepted URLs.

On every call a `requests.Session` that trusts the environment asks it which proxy to use and
whether the host bypasses it (`Session.merge_environment_settings`: `getproxies` and `no_proxy`
matching over every environment variable, twice). An intercepted request never leaves the
process, so no proxy can apply to it; the look-up cost a poll through the interception about
30% of its time. While an interception is active, a URL one of its patterns matches gets the
session's own settings merged as `requests` merges them, minus the environment's proxies; the
CA bundle variables are still read (cheap), and every other URL (passed through to the network,
or refused) goes through `requests`' own method unchanged.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import requests
from requests.sessions import merge_setting

__all__ = ["skipping_proxy_lookup"]

_lock = threading.Lock()
_active: list[Sequence[re.Pattern[str]]] = []
_original: Any = None


@contextmanager
def skipping_proxy_lookup(patterns: Sequence[re.Pattern[str]]) -> Iterator[None]:
    """While inside, requests to URLs these patterns match skip the environment's proxies."""
    global _original
    with _lock:
        if not _active:
            _original = requests.Session.merge_environment_settings
            requests.Session.merge_environment_settings = _merge  # type: ignore[method-assign]
        _active.append(patterns)
    try:
        yield
    finally:
        with _lock:
            _active.remove(patterns)
            if not _active:
                requests.Session.merge_environment_settings = _original  # type: ignore[method-assign]
                _original = None


def _intercepted(url: str) -> bool:
    return any(pattern.match(url) for patterns in list(_active) for pattern in patterns)


def _merge(self: requests.Session, url: str, proxies: Any, stream: Any, verify: Any,
           cert: Any) -> dict[str, Any]:
    """`requests.Session.merge_environment_settings`, without the proxy look-up for an
    intercepted URL."""
    original = _original or requests.Session.merge_environment_settings  # None: just restored
    if not _intercepted(url):
        return original(self, url, proxies, stream, verify, cert)
    if self.trust_env and (verify is True or verify is None):
        verify = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or verify
    return {"proxies": merge_setting(proxies, self.proxies),
            "stream": merge_setting(stream, self.stream),
            "verify": merge_setting(verify, self.verify),
            "cert": merge_setting(cert, self.cert)}
