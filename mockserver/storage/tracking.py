"""A per-process cache of Redis values that Redis itself keeps current, across every host.

Redis's server-assisted client-side caching (`CLIENT TRACKING`, broadcast mode) announces every
change to a key under the tracked prefixes on a subscribed connection, whoever made it: another
replica, another worker, a script, a flush. Before each cache read the process takes whatever
announcements have arrived (one non-blocking look at that socket) and forgets the keys they name,
so a value served from the cache is one no announced write has replaced. Redis sends the
announcement in the same turn of its event loop as the reply to the write: a read here could miss
an acknowledged write only if the announcement took longer to arrive than the writer's reply,
the writer's answer to its client, and that client's next request to this process together.

Anything that might hide an announcement empties the cache and stops using it: the subscribed
connection lost, reconnected (tracking does not survive a reconnection), or silent for longer
than `_SILENCE_SECONDS` after a PING. It is set up again at most once a second, so a Redis that
is away costs requests no extra waiting. A read that raced with an announcement (one arrived
between the read and the fill) is not cached; this process's own writes are forgotten at once,
without waiting for their announcement.
"""

from __future__ import annotations

import os
import select
import threading
import time
from collections.abc import Callable
from contextlib import suppress
from typing import Any

import redis

__all__ = ["TrackedCache"]

_CHANNEL = "__redis__:invalidate"
_PING_SECONDS = 0.5
_SILENCE_SECONDS = 1.0
_RETRY_SECONDS = 1.0
_LIMIT = 10_000

Text = bytes | str | None


class TrackedCache:
    """Stored texts by Redis key, each forgotten as soon as Redis announces a change to it."""

    def __init__(self, connect: Callable[[], redis.Redis], prefixes: list[str]) -> None:
        """`connect`: a new client for the subscribed connection (RESP2, no retries: a
        reconnection it made by itself would come back without tracking)."""
        self._connect = connect
        self._prefixes = prefixes
        self._lock = threading.Lock()
        self._texts: dict[str, Text] = {}
        self._generation = 0
        """Moves on whenever something is forgotten: a fill started before that is dropped."""
        self._listener: Any = None  # redis-py's PubSub, subscribed to the announcements
        self._socket_poll: Any = None  # a poll(2) of its socket, where one can be had
        self._broken = False
        self._pid = os.getpid()
        self._retry_at = 0.0
        self._pinged_at: float | None = None
        self._heard_at = 0.0

    def read(self, keys: list[str]) -> tuple[dict[str, Text], int]:
        """The cached texts among `keys`, and the generation to give `fill` for the rest."""
        with self._lock:
            if not self._current():
                return {}, -1
            texts = self._texts
            return {key: texts[key] for key in keys if key in texts}, self._generation

    def fill(self, texts: dict[str, Text], generation: int) -> None:
        """Keep texts read from Redis, unless an announcement came since `read` began."""
        with self._lock:
            if not self._current() or generation != self._generation:
                return
            if len(self._texts) + len(texts) > _LIMIT:
                self._texts.clear()
            self._texts.update(texts)

    def forget(self, keys: list[str] | None = None) -> None:
        """This process changed these keys (None: all of them)."""
        with self._lock:
            self._forget(keys)

    def _forget(self, keys: list[str] | None) -> None:
        self._generation += 1
        if keys is None:
            self._texts.clear()
        else:
            for key in keys:
                self._texts.pop(key, None)

    def _current(self) -> bool:
        """Take the announcements that have arrived; whether the cache may be used now."""
        if self._pid != os.getpid():  # a forked worker: the parent's socket is not ours
            self._pid, self._listener = os.getpid(), None
            self._forget(None)
        if self._listener is None and not self._listen():
            return False
        try:
            if self._may_have_news():  # then read them all: one read may bring several
                while (message := self._listener.get_message(timeout=0)) is not None:
                    self._heard_at = time.monotonic()
                    if message["type"] == "pong":
                        self._pinged_at = None
                    elif message["type"] == "message":
                        data = message["data"]
                        self._forget(None if data is None else [
                            key.decode(errors="surrogateescape") for key in data])
            if self._broken:
                raise redis.ConnectionError("the invalidation connection was reconnected")
            now = time.monotonic()
            if self._pinged_at is not None and now - self._pinged_at > _SILENCE_SECONDS:
                raise redis.TimeoutError("no answer to PING on the invalidation connection")
            if self._pinged_at is None and now - self._heard_at > _PING_SECONDS:
                self._listener.ping()
                self._pinged_at = now
        except (redis.RedisError, OSError):
            self._stop()
            return False
        return now - self._heard_at <= _SILENCE_SECONDS  # else: not until Redis answers

    def _may_have_news(self) -> bool:
        """Whether the announcement connection's socket has anything to read (or is closed).
        redis-py's own look at it costs a recv and two settimeouts in several layers of calls,
        a third of a cached read; one poll(2) is enough, since every look that finds something
        reads until redis-py has nothing left, buffered or not."""
        return self._socket_poll is None or bool(self._socket_poll.poll(0))

    def _listen(self) -> bool:
        """Subscribe to the announcements; False (and no cache) while Redis is away."""
        if time.monotonic() < self._retry_at:
            return False
        self._retry_at = time.monotonic() + _RETRY_SECONDS
        listener = self._connect().pubsub()
        try:
            listener.execute_command("CLIENT", "ID")
            own_id = listener.parse_response()
            prefixes = [part for prefix in self._prefixes for part in ("PREFIX", prefix)]
            listener.execute_command("CLIENT", "TRACKING", "ON", "REDIRECT", own_id, "BCAST",
                                     *prefixes)
            listener.parse_response()
            listener.subscribe(_CHANNEL)
            connection = listener.connection  # made by the first command, dropped by a close
            if connection is None:
                raise redis.ConnectionError("the invalidation connection was closed")
            connection.register_connect_callback(self._reconnected)
        except (redis.RedisError, OSError):  # away, or a Redis older than 6 (no tracking)
            listener.close()
            return False
        self._listener, self._broken = listener, False
        self._socket_poll = _socket_poll(connection)
        self._pinged_at, self._heard_at = None, time.monotonic()
        self._forget(None)  # nothing was announced to this process before now
        return True

    def _reconnected(self, connection: object) -> None:
        self._broken = True

    def _stop(self) -> None:
        self._forget(None)
        listener, self._listener, self._socket_poll = self._listener, None, None
        if listener is not None:
            with suppress(redis.RedisError, OSError):  # already gone
                listener.close()


def _socket_poll(connection: Any) -> Any:
    """A poll(2) object watching the connection's socket; None (look with redis-py every time)
    where redis-py keeps it elsewhere than in `_sock`."""
    sock = getattr(connection, "_sock", None)
    if sock is None or not hasattr(select, "poll"):
        return None
    watch = select.poll()
    watch.register(sock, select.POLLIN | select.POLLPRI)
    return watch
