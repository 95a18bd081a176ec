"""The client examples in `examples/` pass, run as a developer runs them: `pytest examples/...`.

An example is run once its vendor has a module in `mockserver/vendors/` (its demo credentials
live there); Further AI's and Phinite's always must be.
"""

from __future__ import annotations

import re
import subprocess
import sys
from importlib.util import find_spec
from pathlib import Path

ROOT = Path(__file__).parent.parent
EXAMPLES = ROOT / "examples"


def test_the_examples_of_every_vendor_with_a_mock_pass():
    examples = {re.fullmatch(r"test_(\w+)_client\.py", path.name).group(1): path
                for path in EXAMPLES.glob("test_*_client.py")}
    ready = {vendor: path for vendor, path in examples.items()
             if find_spec(f"mockserver.vendors.{vendor}") is not None}
    assert {"further", "phinite"} <= set(ready)
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-n", "0",
         *(str(path.relative_to(ROOT)) for path in ready.values())],
        cwd=ROOT, capture_output=True, text=True, timeout=600, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert re.search(r"\b\d+ passed\b", result.stdout) and "skipped" not in result.stdout
