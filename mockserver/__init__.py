"""A stateful mock of AI-workflow execution APIs, driven by their OpenAPI contracts."""

from mockserver.app import create_app
from mockserver.config import MockConfig
from mockserver.mock import Mock, Scenario

__all__ = ["Mock", "MockConfig", "Scenario", "create_app"]
