"""The workflows the mock knows: the docs' examples shipped as fixtures, and the user's own.

The user's definitions come from `vendor_settings: {flowflow: {workflows: [file, ...]}}` (YAML or
JSON files, or inline definitions) and replace a fixture with the same id. A workflow id that no
definition has runs the docs' "AI Answer with dataset example", so the docs' cURL call works with
any id.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from mockserver.engine.names import check_settings
from mockserver.vendors.flowflow.graph import Workflow, load_workflow

__all__ = ["DEFAULT_WORKFLOW_ID", "FIXTURES", "Library", "Settings", "configure"]

FIXTURES = Path(__file__).parent / "fixtures"
DEFAULT_WORKFLOW_ID = "67bd80ba-d392-4291-954c-587c161fabfb"


class Settings(BaseModel):
    """FlowFlow's `vendor_settings`: which workflow files to serve."""

    model_config = ConfigDict(extra="forbid")

    workflows: list[Workflow] = Field(default_factory=list,
                                      description="Paths of YAML/JSON workflow definitions.")

    @field_validator("workflows", mode="before")
    @classmethod
    def _load(cls, value: Any) -> Any:
        if not isinstance(value, list):
            return value
        return [_from_file(Path(entry)) if isinstance(entry, (str, Path)) else entry
                for entry in value]


class Library:
    """The workflows the mock serves, by id."""

    def __init__(self, workflows: list[Workflow]) -> None:
        self.workflows = {workflow.id: workflow for workflow in workflows}

    def get(self, workflow_id: str) -> Workflow:
        """The workflow with this id, else the default example standing in under this id."""
        known = self.workflows.get(workflow_id)
        if known is not None:
            return known
        return self.workflows[DEFAULT_WORKFLOW_ID].model_copy(update={"id": workflow_id})


def configure(settings: dict[str, Any]) -> Library:
    """The `configure` hook: fixtures and the user's definitions, every one checked now."""
    check_settings("flowflow", settings, Settings.model_fields)
    fixtures = [_from_file(path) for path in sorted(FIXTURES.glob("*.yaml"))]
    return Library([*fixtures, *Settings.model_validate(settings).workflows])


def _from_file(path: Path) -> Workflow:
    try:
        return load_workflow(path)
    except (OSError, ValueError, ValidationError, yaml.YAMLError) as error:
        raise ValueError(f"FlowFlow workflow definition {path}: {error}") from error
