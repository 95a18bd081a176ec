"""What tests use: the handle, in-process interception, a live server, the pytest plugin.

Rule: imports `mockserver.web`, `mockserver.mock`, `mockserver.engine` and `config`; nothing in
the server imports it.
"""

from __future__ import annotations

from mockserver.testing.handle import ContractViolation, MockHandle
from mockserver.testing.intercept import Intercepted, intercept
from mockserver.testing.live import LiveServer

__all__ = ["ContractViolation", "Intercepted", "LiveServer", "MockHandle", "intercept"]
