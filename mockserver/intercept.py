"""The import path of `intercept` before the `testing/` package; kept for existing code."""

from mockserver.testing.intercept import Intercepted, intercept

__all__ = ["Intercepted", "intercept"]
