"""The pytest plugin's entry point (`pytest11`); the plugin lives in `testing.pytest_plugin`."""

from mockserver.testing.pytest_plugin import (
    pytest_addoption,
    pytest_configure,
    pytest_runtest_call,
    vendor_mock,
    vendor_mock_config,
    vendor_mock_handle,
    vendor_mock_server,
    vendor_mock_url,
)

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
