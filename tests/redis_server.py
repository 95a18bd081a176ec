"""A private `redis-server` per test session, on a free port, never the system's service.

Tests that need one skip when no `redis-server` is installed on a developer's machine, and fail
under CI (`CI` set), where `.ci/run` installs it: CI must never skip them silently.
Import the fixtures into a test module:

    from tests.redis_server import redis_server_fixture  # noqa: F401
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

__all__ = ["RedisServer", "installed_redis_server", "redis_server_binary", "redis_server_fixture",
           "redis_url_fixture"]


def installed_redis_server() -> str | None:
    debian = Path("/usr/bin/redis-server")
    return shutil.which("redis-server") or (str(debian) if debian.exists() else None)


def redis_server_binary() -> str:
    """The installed `redis-server`; skips the test, or fails it under CI, when there is none."""
    found = installed_redis_server()
    if found is None:
        message = "redis-server is not installed (Debian: apt-get install redis-server)"
        if os.environ.get("CI"):
            pytest.fail(message + "; CI must run the Redis tests")
        pytest.skip(message)
    return found


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class RedisServer:
    """One redis-server process; `stop` and `start` again keep its port and directory, and with
    `persistent` (append-only file) its data, as a Redis restarted by its operator would."""

    def __init__(self, folder: Path, *, persistent: bool = False) -> None:
        self.binary = redis_server_binary()
        self.folder = folder
        self.persistent = persistent
        self.port = _free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen[bytes] | None = None
        self.start()

    def start(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "yes" if self.persistent else "no", "--appendfsync", "always",
             "--dir", str(self.folder), "--daemonize", "no", "--loglevel", "warning"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        client = redis.Redis(port=self.port, socket_connect_timeout=1)
        deadline = time.monotonic() + 20
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"redis-server did not start on port {self.port}") \
                        from None
                time.sleep(0.05)
            finally:
                client.close()

    def stop(self, sig: int = signal.SIGTERM) -> None:
        """Stop this server by its PID (SIGKILL: as if its host were lost)."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(sig)
            self.process.wait(20)
        self.process = None

    def unique_url(self) -> str:
        """A URL with a prefix of its own: state no other test sees."""
        return f"{self.url}?prefix=test-{uuid.uuid4().hex[:12]}"


@pytest.fixture(scope="session", name="redis_server")
def redis_server_fixture(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path_factory.mktemp("redis"))
    yield server
    server.stop()


@pytest.fixture(name="redis_url")
def redis_url_fixture(redis_server: RedisServer) -> str:
    return redis_server.unique_url()
