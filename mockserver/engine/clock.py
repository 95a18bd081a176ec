"""The mock's virtual clock: real time by default, frozen or moved forward on request.

Lifecycles and token expiry read time only from here. The clock's setting lives in the store, so
every worker process of one server sees the same time.
"""

from __future__ import annotations

import time

from pydantic import BaseModel

from mockserver.engine.limits import check_moment
from mockserver.storage import Store, keys

__all__ = ["Clock", "ClockSetting"]


class ClockSetting(BaseModel):
    """The stored clock: an offset from real time, or a frozen moment."""

    offset: float = 0.0
    frozen_at: float | None = None


_REAL_TIME = ClockSetting()


class Clock:
    """The mock's time, read from the store so every worker agrees on it."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def _setting(self) -> ClockSetting:
        stored = self._store.get(*keys.CLOCK)
        return ClockSetting.model_validate(stored) if stored else ClockSetting()

    def now(self) -> float:
        return self.reading(self._store.get(*keys.CLOCK))

    @staticmethod
    def reading(stored: dict | None) -> float:
        """The time a stored clock setting shows now (for a setting read with other values)."""
        setting = ClockSetting.model_validate(stored) if stored else _REAL_TIME
        return setting.frozen_at if setting.frozen_at is not None else time.time() + setting.offset

    @property
    def frozen(self) -> bool:
        return self._setting().frozen_at is not None

    def advance(self, seconds: float) -> float:
        """Move the clock forward; `OutOfRange` (and no change) if it would pass
        `limits.LATEST_TIME` or `seconds` is not finite."""
        if seconds < 0:
            raise ValueError("the clock only moves forward")

        def change(stored: dict | None) -> dict:
            setting = ClockSetting.model_validate(stored or {})
            check_moment(self.reading(stored) + seconds, "The clock")
            if setting.frozen_at is not None:
                setting.frozen_at += seconds
            else:
                setting.offset += seconds
            return setting.model_dump()

        self._store.update(*keys.CLOCK, change)
        return self.now()

    def freeze(self) -> float:
        """Stop the clock where it is (atomically: an advance meanwhile is not lost)."""
        def change(stored: dict | None) -> dict:
            return ClockSetting(frozen_at=self.reading(stored)).model_dump()

        return self.reading(self._store.update(*keys.CLOCK, change))

    def resume(self) -> float:
        """Let the clock run on from where it shows now."""
        def change(stored: dict | None) -> dict:
            return ClockSetting(offset=self.reading(stored) - time.time()).model_dump()

        return self.reading(self._store.update(*keys.CLOCK, change))

    def state(self) -> dict[str, float | bool]:
        return {"now": self.now(), "frozen": self.frozen}
