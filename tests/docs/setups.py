"""The files some pages' examples start from without making them, made first in the page's
working directory (`test_doc_blocks.py` runs each page in one)."""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from pathlib import Path

import yaml

from tests.broken.drifted import record_drifted_flowflow
from tests.docs.blocks import ROOT

__all__ = ["SETUPS"]



def _drifted_recording(workdir: Path) -> None:
    """docs/drift.md's `flowflow-recording`, made through a proxy the page shows on 8081."""
    directory = workdir / "flowflow-recording"
    directory.mkdir()
    record_drifted_flowflow(directory)
    for har in directory.glob("*.har"):
        har.write_text(re.sub(r"127\.0\.0\.1:\d+", "127.0.0.1:8081",
                              har.read_text(encoding="utf-8")), encoding="utf-8")


def _a_checkout(workdir: Path) -> None:
    """docs/ci-step.md runs from the checkout after the quick start: its `.ci`, its
    `contracts` and its `.venv` (the one running these tests)."""
    for name in (".ci", "contracts"):
        (workdir / name).symlink_to(ROOT / name)
    (workdir / ".venv").symlink_to(Path(sys.executable).parent.parent)


def _further_v2(workdir: Path) -> None:
    """docs/when-the-vendor-changes.md's `further-v2.yaml`: Further's contract without
    `steps`, with a `queued` state (and status value), and half the token lifetime."""
    contract = yaml.safe_load((ROOT / "contracts" / "further.yaml").read_text(encoding="utf-8"))
    schemas = contract["components"]["schemas"]
    execution = schemas["Execution"]
    del execution["properties"]["steps"]
    if "steps" in execution.get("required", []):
        execution["required"].remove("steps")
    schemas["ExecutionStatus"]["enum"].insert(0, "queued")
    contract["x-lifecycles"]["execution"]["states"].insert(0, "queued")
    scheme = contract["components"]["securitySchemes"]["clientCredentials"]
    scheme["x-token-lifetime-seconds"] //= 2
    contract["servers"].append({"url": "https://eu.api.further.ai"})
    (workdir / "further-v2.yaml").write_text(yaml.safe_dump(contract, sort_keys=False),
                                             encoding="utf-8")


def _a_reworded_source(workdir: Path) -> None:
    """The same page's re-fetched copy of Further's polling page, one sentence rewritten."""
    name = "001_bd7e83fa93eb0743.txt"
    text = (ROOT / "contracts" / "sources" / name).read_text(encoding="utf-8")
    assert "Only present when status is completed." in text
    (workdir / "fetched").mkdir()
    (workdir / "fetched" / name).write_text(
        text.replace("Only present when status is completed.",
                     "Present once the execution has completed."), encoding="utf-8")


def _vendor_changes(workdir: Path) -> None:
    _further_v2(workdir)
    _a_reworded_source(workdir)


MY_APP = '''"""Stands for your own client in docs/pytest-plugin.md: examples/' Further AI client."""

import importlib.util
from pathlib import Path

_spec = importlib.util.spec_from_file_location("further_example", {example!r})
_example = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_example)

ExtractionFailed = _example.ExtractionFailed


def extract(document: Path) -> list:
    if not document.exists():
        document.write_bytes(b"%PDF-1.4\\n1 0 obj << /Type /Page >> endobj\\n%%EOF")
    client = _example.FurtherClient("YOUR_CLIENT_ID", "YOUR_CLIENT_SECRET")
    return client.extract("YOUR_WORKFLOW_ID", document)
'''


def _my_app(workdir: Path) -> None:
    """docs/pytest-plugin.md's `my_app.further`: a client with `extract` and
    `ExtractionFailed`, here the one in examples/."""
    (workdir / "my_app").mkdir()
    (workdir / "my_app" / "__init__.py").write_text("", encoding="utf-8")
    example = str(ROOT / "examples" / "test_further_client.py")
    (workdir / "my_app" / "further.py").write_text(MY_APP.format(example=example),
                                                   encoding="utf-8")


SETUPS: dict[str, Callable[[Path], None]] = {
    "docs/pytest-plugin.md": _my_app,
    "docs/when-the-vendor-changes.md": _vendor_changes,
    "docs/drift.md": _drifted_recording,
    "docs/ci-step.md": _a_checkout,
}
"""Page (relative to the repository) -> what makes its files."""
