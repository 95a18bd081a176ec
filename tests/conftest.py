"""Fixtures shared by the mock's tests: the same test runs in-process and over a real socket."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from mockserver import Mock, MockConfig
from mockserver.web.server import SERVERS
from tests.helpers import InProcess, OverSocket


@pytest.fixture
def config() -> MockConfig:
    """Override in a test module to change the mock's configuration."""
    return MockConfig()


@pytest.fixture
def mock(config: MockConfig) -> Mock:
    instance = Mock(config)
    instance.clock.freeze()
    return instance


@pytest.fixture(params=["in-process", "socket"])
def api(request: pytest.FixtureRequest, mock: Mock) -> Iterator[InProcess | OverSocket]:
    transport = InProcess(mock) if request.param == "in-process" else OverSocket(mock)
    yield transport
    if isinstance(transport, OverSocket):
        transport.close()


@pytest.fixture(params=SERVERS)
def wsgi_server(request: pytest.FixtureRequest) -> str:
    """Each HTTP server `mockserver serve` and `mockserver proxy` can run on, in turn: a test
    of the served mock takes this and passes it as `Served(..., server=wsgi_server)`."""
    return str(request.param)
