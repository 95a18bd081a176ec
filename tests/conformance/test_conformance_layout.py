"""The conformance package keeps its layers: check families see a small context, never the
runner, the CLI or the reports; the package exports exactly its public names."""

from __future__ import annotations

import ast
from pathlib import Path

import conformance

CHECKS = Path(conformance.__file__).parent / "checks"
ALLOWED = ("conformance.checks", "conformance.findings", "conformance.profiles",
           "conformance.target", "conformance.transport", "contracts")


def imported(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


def test_checks_import_only_their_small_context():
    for module in sorted(CHECKS.glob("*.py")):
        own = {name for name in imported(module) if name.split(".")[0] in ("conformance",
                                                                          "contracts")}
        outside = sorted(name for name in own if not name.startswith(ALLOWED))
        assert not outside, f"{module.name} imports {outside}"


def test_the_package_exports_its_public_names():
    assert set(conformance.__all__) >= {"run", "RunOptions", "conformance_test", "Results",
                                        "Finding", "FAMILIES"}
    for name in conformance.__all__:
        assert hasattr(conformance, name), name
