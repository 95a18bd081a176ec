"""Virtual time for a client under test: its clocks read the mock's clock, its sleeps move it.

Inside `VirtualTime`, `time.time()`, `time.monotonic()`, `datetime.now()` and the rest read the
mock's (frozen) clock, through time-machine: it swaps the C implementations of those functions,
so `from time import monotonic` and a `time.time` kept as a default argument read it too.
time-machine does not touch sleeping, so `time.sleep` and `asyncio.sleep` are replaced here, in
the modules that imported them, in defaults, closures, keyword defaults and objects, wherever a
reference to them is found (`gc.get_referrers`); a sleep moves the mock's clock instead of
waiting, and a client's poll loop sees a whole run at once.

A client can still block for real (a lock, a socket, `Event.wait`): a watchdog fails the test
once it has taken more than `watchdog_seconds` of real time, naming the line that blocked.
"""

from __future__ import annotations

import asyncio
import ctypes
import gc
import linecache
import signal
import sys
import sysconfig
import threading
import time
import types
from collections.abc import Callable
from functools import partial
from pathlib import Path
from types import FrameType
from typing import Any

import time_machine

from mockserver.engine.clock import Clock

__all__ = ["VirtualTime", "VirtualTimeout", "real_sleep"]

_real_sleep = time.sleep
_real_asyncio_sleep = asyncio.sleep
_active: VirtualTime | None = None


class VirtualTimeout(BaseException):
    """A test under virtual time waited longer than its watchdog allows, in real time. A
    `BaseException`, so a client's `except Exception` retry loop cannot swallow it."""


def real_sleep(seconds: float) -> None:
    """Wait for real, even under virtual time (a reference to `time.sleep` itself would be
    replaced)."""
    _real_sleep(seconds)


def _sleep(seconds: float) -> None:
    """`time.sleep` under virtual time: moves the mock's clock (real sleep once it is over)."""
    active = _active
    if active is None:
        _real_sleep(seconds)
        return
    if seconds < 0:
        raise ValueError("sleep length must be non-negative")
    active.advance(seconds)


async def _asyncio_sleep(delay: float, result: Any = None) -> Any:
    """`asyncio.sleep` under virtual time: moves the mock's clock and yields to the loop once."""
    active = _active
    if active is None:
        return await _real_asyncio_sleep(delay, result)
    if delay > 0:
        active.advance(delay)
    return await _real_asyncio_sleep(0, result)


class VirtualTime:
    """A context manager: the process's clocks follow `clock`, and sleeping advances it."""

    def __init__(self, clock: Clock, *, watchdog_seconds: float | None = 30.0) -> None:
        self.clock = clock
        self.watchdog_seconds = watchdog_seconds or None
        self._travel: time_machine.travel | None = None
        self._traveller: time_machine.Coordinates | None = None
        self._undo: list[Callable[[], None]] = []
        self._lock = threading.Lock()
        self._watchdog: _Watchdog | None = None

    def advance(self, seconds: float) -> float:
        """Move the mock's clock and the process's clocks forward together."""
        with self._lock:
            self.clock.advance(seconds)
            return self.sync()

    def sync(self) -> float:
        """Bring the process's clocks to the mock's (after the clock moved another way)."""
        now = self.clock.now()
        if self._traveller is not None:
            self._traveller.move_to(now, tick=False)
        return now

    def __enter__(self) -> VirtualTime:
        global _active
        if _active is not None:
            raise RuntimeError("virtual time is already on in this process")
        now = self.clock.freeze()
        self._travel = time_machine.travel(now, tick=False)
        self._traveller = self._travel.start()
        self._undo = [*_replace_everywhere(_real_sleep, _sleep),
                      *_replace_everywhere(_real_asyncio_sleep, _asyncio_sleep)]
        _active = self
        if self.watchdog_seconds:
            self._watchdog = _Watchdog(self.watchdog_seconds)
            self._watchdog.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        global _active
        if self._watchdog is not None:
            self._watchdog.stop()
            self._watchdog = None
        _active = None
        for undo in reversed(self._undo):
            undo()
        self._undo = []
        if self._travel is not None:
            self._travel.stop()
        self._travel = self._traveller = None


def _replace_everywhere(original: Any, replacement: Any) -> list[Callable[[], None]]:
    """Point every reference to `original` at `replacement`: module and instance attributes,
    class attributes, function defaults and keyword defaults, closure cells. Returns the
    actions that put `original` back."""
    undo: list[Callable[[], None]] = []  # (no closure here may hold `original` in a cell)
    for holder in gc.get_referrers(original):
        if holder is globals():
            continue  # this module keeps the real ones
        if isinstance(holder, dict):
            undo += _replace_in_dict(holder, original, replacement)
        elif isinstance(holder, tuple):
            for function in gc.get_referrers(holder):
                if isinstance(function, types.FunctionType) and function.__defaults__ is holder:
                    undo.append(_set_defaults(function, original, replacement))
        elif isinstance(holder, types.CellType):
            holder.cell_contents = replacement
            undo.append(partial(setattr, holder, "cell_contents", original))
    return undo


def _replace_in_dict(namespace: dict[Any, Any], original: Any,
                     replacement: Any) -> list[Callable[[], None]]:
    maybe_a_class = "__module__" in namespace and "__name__" not in namespace
    owners = [owner for owner in gc.get_referrers(namespace)
              if isinstance(owner, type)] if maybe_a_class else []
    undo: list[Callable[[], None]] = []
    for key in [key for key, value in namespace.items() if value is original]:
        owner = next((cls for cls in owners if vars(cls).get(key) is original), None)
        if owner is not None:  # a class attribute: set it the way that clears type caches
            setattr(owner, key, staticmethod(replacement))
            undo.append(partial(setattr, owner, key, original))
        else:
            namespace[key] = replacement
            undo.append(partial(namespace.__setitem__, key, original))
    return undo


def _set_defaults(function: types.FunctionType, original: Any, replacement: Any
                  ) -> Callable[[], None]:
    before = function.__defaults__ or ()
    swapped = []
    for value in before:  # no comprehension: it would close over `original` in a cell
        swapped.append(replacement if value is original else value)
    function.__defaults__ = tuple(swapped)
    return partial(setattr, function, "__defaults__", before)


class _Watchdog:
    """Fails the test that entered virtual time once it has run `seconds` of real time: by
    SIGALRM in the main thread (which also ends a real sleep or a blocking read), else by an
    exception raised asynchronously into the waiting thread."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.thread = threading.current_thread()
        self._previous: Any = None
        self._timer: threading.Timer | None = None

    def start(self) -> None:
        if self.thread is threading.main_thread() and hasattr(signal, "setitimer"):
            self._previous = (signal.signal(signal.SIGALRM, self._alarm),
                              signal.setitimer(signal.ITIMER_REAL, self.seconds))
        else:
            self._timer = threading.Timer(self.seconds, self._interrupt)
            self._timer.daemon = True
            self._timer.start()

    def stop(self) -> None:
        if self._previous is not None:
            handler, (remaining, interval) = self._previous
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, handler)
            if remaining:
                signal.setitimer(signal.ITIMER_REAL, remaining, interval)
        if self._timer is not None:
            self._timer.cancel()

    def _alarm(self, signum: int, frame: FrameType | None) -> None:
        raise VirtualTimeout(self._message(frame))

    def _interrupt(self) -> None:
        frame = sys._current_frames().get(self.thread.ident or 0)
        message = self._message(frame)

        class Timeout(VirtualTimeout):  # raised by class: the message goes with the class
            def __init__(self) -> None:
                super().__init__(message)

        ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(self.thread.ident or 0),
                                                   ctypes.py_object(Timeout))

    def _message(self, frame: FrameType | None) -> str:
        stack = []
        while frame is not None:
            stack.append(frame)
            frame = frame.f_back
        own = next((f for f in stack if not f.f_code.co_filename.startswith(_LIBRARIES)), None)
        where = "somewhere outside Python code"
        if stack:
            where = _line(own or stack[0])
            if own is not None and own is not stack[0]:
                where += f" (inside {_line(stack[0])})"
        return (f"the test waited more than {self.seconds:g} s of real time under virtual "
                f"sleep; it was blocked at {where}. Something waits in real time (a lock, a "
                "socket, a thread, an event loop timer) or loops without sleeping; raise the "
                "limit with virtual_sleep_timeout= if the test is only slow")


_LIBRARIES = tuple(dict.fromkeys([sysconfig.get_paths()[name] for name in ("stdlib", "purelib",
                                                                          "platlib")]
                                 + [str(Path(__file__).parent.parent)]))
"""Where the blocking call is not the test's own code (the standard library, installed
packages, the mock itself): the watchdog names the test's own line that led there."""


def _line(frame: FrameType) -> str:
    source = linecache.getline(frame.f_code.co_filename, frame.f_lineno).strip()
    return f"{frame.f_code.co_filename}:{frame.f_lineno} in {frame.f_code.co_name}: {source}"
