"""The pytest plugin (entry point `pytest11`): a fresh vendor mock for every test.

Fixtures:
    vendor_mock         a `MockHandle`, with the vendors' real base URLs intercepted in-process
    vendor_mock_server  a `LiveServer` of the same mock on a free loopback port
    vendor_mock_url     that server's base URL of the one vendor the test selects
    vendor_mock_handle  the handle alone, without interception (e.g. with the live server only)
    vendor_mock_config  the `MockConfig`; override it to configure the mock in code

A request that breaks a vendor's contract fails the test, naming the rules it broke, unless the
test expects it (`vendor_mock.expect_violations()` or `@pytest.mark.mock_allows_violations`).
The marker `@pytest.mark.vendor_mock(*vendors, seed=, virtual_sleep=, virtual_sleep_timeout=,
passthrough=, **config)` and the ini options `vendor_mock_vendors`, `vendor_mock_seed`,
`vendor_mock_virtual_sleep`, `vendor_mock_virtual_sleep_timeout` choose the rest.
"""

from __future__ import annotations

from collections.abc import Generator, Iterator
from contextlib import ExitStack
from typing import Any

import pytest
from pydantic import BaseModel, ConfigDict, Field

from mockserver.config import MockConfig
from mockserver.engine.names import check_name
from mockserver.mock import Mock
from mockserver.testing.handle import MockHandle, describe
from mockserver.testing.intercept import Intercepted
from mockserver.testing.live import LiveServer

__all__ = [
    "pytest_addoption",
    "pytest_configure",
    "pytest_runtest_call",
    "vendor_mock",
    "vendor_mock_config",
    "vendor_mock_handle",
    "vendor_mock_server",
    "vendor_mock_url",
]

_ALLOWS_VIOLATIONS = "mock_allows_violations"


class Settings(BaseModel):
    """The plugin's options for one test: ini options, overridden by the test's marker."""

    model_config = ConfigDict(extra="forbid")

    vendors: list[str] = Field(default_factory=list, description="Empty: every vendor.")
    seed: int = 0
    virtual_sleep: bool = False
    virtual_sleep_timeout: float = Field(30.0, ge=0, description="Real seconds a test may take "
                                         "under virtual sleep before it fails; 0: no limit.")
    passthrough: list[str] = Field(default_factory=list,
                                   description="URL prefixes that may reach the network.")
    config: dict[str, Any] = Field(default_factory=dict,
                                   description="Further MockConfig fields, e.g. timing.")


def pytest_addoption(parser: pytest.Parser) -> None:
    """The plugin's ini options: which vendors, the seed, virtual sleep."""
    parser.addini("vendor_mock_vendors", "vendors the mock serves (default: all)", type="args",
                  default=[])
    parser.addini("vendor_mock_seed", "the mock's seed (default 0)", default="0")
    parser.addini("vendor_mock_virtual_sleep", "time.sleep moves the mock's clock instead of "
                  "waiting (default false)", type="bool", default=False)
    parser.addini("vendor_mock_virtual_sleep_timeout", "real seconds a test may take under "
                  "virtual sleep before it fails (default 30; 0: no limit)", default="30")


def pytest_configure(config: pytest.Config) -> None:
    """Declare the plugin's markers so `--strict-markers` accepts them."""
    config.addinivalue_line(
        "markers", "vendor_mock(*vendors, seed=0, virtual_sleep=False, virtual_sleep_timeout=30, "
        "passthrough=(), **config): the vendors the mock serves and how it behaves for this test")
    config.addinivalue_line(
        "markers", f"{_ALLOWS_VIOLATIONS}: requests that break a vendor's contract do not fail "
        "this test")


_MARKER_OPTIONS = ("seed", "virtual_sleep", "virtual_sleep_timeout", "passthrough")


def _settings(request: pytest.FixtureRequest) -> Settings:
    ini = request.config
    values: dict[str, Any] = {"vendors": ini.getini("vendor_mock_vendors"),
                              "seed": ini.getini("vendor_mock_seed"),
                              "virtual_sleep": ini.getini("vendor_mock_virtual_sleep"),
                              "virtual_sleep_timeout":
                                  ini.getini("vendor_mock_virtual_sleep_timeout")}
    marker = request.node.get_closest_marker("vendor_mock")
    if marker is not None:
        options = dict(marker.kwargs)
        # The marker's own options, and the MockConfig fields it passes on (the vendors are its
        # arguments): a misspelt one would otherwise be a pydantic "extra" error, and
        # `contracts=` would be silently replaced by the vendors.
        allowed = [*_MARKER_OPTIONS, *(name for name in MockConfig.model_fields
                                       if name not in ("contracts", "seed"))]
        for key in options:
            check_name("vendor_mock option", key, allowed, "in the marker")
        values.update({key: options.pop(key) for key in _MARKER_OPTIONS if key in options})
        values["config"] = options
        if marker.args:
            values["vendors"] = list(marker.args)
    return Settings.model_validate(values)


@pytest.fixture
def vendor_mock_config(request: pytest.FixtureRequest) -> MockConfig:
    chosen = _settings(request)
    return MockConfig.model_validate({**chosen.config, "contracts": chosen.vendors,
                                      "seed": chosen.seed})


@pytest.fixture
def vendor_mock_handle(request: pytest.FixtureRequest,
                       vendor_mock_config: MockConfig) -> Iterator[MockHandle]:
    handle = MockHandle(Mock(vendor_mock_config))
    with ExitStack() as stack:
        chosen = _settings(request)
        if chosen.virtual_sleep:
            stack.enter_context(handle.virtual_sleep(
                watchdog_seconds=chosen.virtual_sleep_timeout or None))
        yield handle


@pytest.fixture
def vendor_mock(request: pytest.FixtureRequest,
                vendor_mock_handle: MockHandle) -> Iterator[MockHandle]:
    interception = Intercepted(vendor_mock_handle, tuple(vendor_mock_handle.mock.vendors),
                               _settings(request).passthrough)
    if "vendor_mock_server" in request.fixturenames:
        interception.allow(request.getfixturevalue("vendor_mock_server").url + "/")
    with interception:
        yield vendor_mock_handle


@pytest.fixture
def vendor_mock_server(vendor_mock_handle: MockHandle) -> Iterator[LiveServer]:
    with LiveServer(vendor_mock_handle.mock) as server:
        yield server


@pytest.fixture
def vendor_mock_url(vendor_mock_server: LiveServer) -> str:
    vendors = list(vendor_mock_server.mock.vendors)
    if len(vendors) != 1:
        pytest.fail(f"vendor_mock_url needs the test to select one vendor, e.g. "
                    f"@pytest.mark.vendor_mock('further'); this mock serves {vendors}: use "
                    "vendor_mock_server.base_url(vendor)", pytrace=False)
    return vendor_mock_server.base_url(vendors[0])


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, object, object]:
    """After a test passes, fail it if its client sent requests that broke a contract."""
    result = yield
    handle = getattr(item, "funcargs", {}).get("vendor_mock_handle")
    if handle is not None and item.get_closest_marker(_ALLOWS_VIOLATIONS) is None:
        unexpected = handle.violations()
        if unexpected:
            pytest.fail(describe(unexpected), pytrace=False)
    return result
