"""The mock on the web: the app factory, vendor dispatch, control API, docs and downloads.

Rule: imports `mockserver.mock`, `mockserver.engine`, `mockserver.storage` and `config`; the only
folder that imports Flask. Nothing below it imports it back.
"""

from __future__ import annotations

from mockserver.web.app import create_app

__all__ = ["create_app"]
