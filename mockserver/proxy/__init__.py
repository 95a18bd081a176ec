"""The validation proxy: real traffic to a real vendor, judged against the contract on both sides.

Rule: imports `contracts`, `config`, `storage`, `engine`, `mock` and `web`; never `testing` or
`cli`.
"""

from mockserver.proxy.app import ProxyApp, create_proxy_app
from mockserver.proxy.config import ProxyConfig, Route

__all__ = ["ProxyApp", "ProxyConfig", "Route", "create_proxy_app"]
