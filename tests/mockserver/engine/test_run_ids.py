"""Run ids are drawn from the contract's id schema, and every one can be polled: never a `.` or
`..` path segment (which HTTP clients remove), never longer than the schema allows."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import pytest
import yaml

from mockserver import Mock, MockConfig
from mockserver.handlers.ids import IdMaker
from tests.helpers import InProcess, OverSocket, start, status

CONTRACT = Path(__file__).resolve().parents[3] / "contracts" / "phinite.yaml"
HOSTILE_ID = r"^(\.|\.\.|[a-z0-9]{20})$"


def test_a_pattern_that_admits_dot_segments_gives_only_the_other_ids() -> None:
    make = IdMaker({"type": "string", "pattern": HOSTILE_ID})
    assert all(re.fullmatch("[a-z0-9]{20}", make()) for _ in range(200))


def test_the_schema_lengths_hold_as_well_as_its_pattern() -> None:
    make = IdMaker({"type": "string", "pattern": "^[a-z]+$", "maxLength": 3, "minLength": 2})
    assert {len(make()) for _ in range(200)} == {2, 3}


def test_without_a_pattern_ids_are_uuids() -> None:
    assert uuid.UUID(IdMaker({"type": "string"})()).version == 4


def test_a_schema_no_usable_id_fits_is_refused_when_built_naming_it() -> None:
    with pytest.raises(ValueError, match=r"^startTask's /id: no id usable in a URL path .*\\\.\+"):
        IdMaker({"type": "string", "pattern": r"^\.+$", "maxLength": 2}, "startTask's /id")


@pytest.fixture
def hostile_ids(tmp_path: Path) -> MockConfig:
    """Phinite's contract with a run id pattern that also admits `.` and `..`."""
    document = yaml.safe_load(CONTRACT.read_text())
    start_response = document["components"]["schemas"]["StartResponse"]
    start_response["properties"]["workflow_id"] = {"type": "string", "pattern": HOSTILE_ID}
    path = tmp_path / "phinite.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False))
    return MockConfig(contracts=[str(path)])


@pytest.mark.parametrize("transport", [InProcess, OverSocket])
def test_every_created_run_can_be_polled(hostile_ids: MockConfig, transport) -> None:
    api = transport(Mock(hostile_ids))
    try:
        ids = [start(api).json()["workflow_id"] for _ in range(30)]
        assert all(re.fullmatch("[a-z0-9]{20}", run_id) for run_id in ids), ids
        assert [status(api, run_id).status for run_id in ids] == [200] * 30
    finally:
        if isinstance(api, OverSocket):
            api.close()
