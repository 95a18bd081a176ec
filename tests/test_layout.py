"""The layout's rules hold: imports run one way, each folder imports only what its rule allows,
the public API is what `__all__` says, and ARCHITECTURE.md names exactly the modules there are."""

from __future__ import annotations

import ast
import importlib
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("contracts", "mockserver", "conformance")

# Which of the project's modules each folder may import (prefix match; its own folder always).
RULES: dict[str, tuple[str, ...]] = {
    "contracts": (),
    "mockserver.config": (),
    "mockserver.storage": (),
    "mockserver.engine": ("contracts", "mockserver.config", "mockserver.storage"),
    "mockserver.handlers": ("contracts", "mockserver.config", "mockserver.storage",
                            "mockserver.engine"),
    "mockserver.vendors": ("contracts", "mockserver.config", "mockserver.storage",
                           "mockserver.engine", "mockserver.handlers"),
    "mockserver.mock": ("contracts", "mockserver.config", "mockserver.storage",
                        "mockserver.engine", "mockserver.handlers", "mockserver.vendors"),
    "mockserver.web": ("contracts", "mockserver.config", "mockserver.storage",
                       "mockserver.engine", "mockserver.mock"),
    "mockserver.testing": ("contracts", "mockserver.config", "mockserver.storage",
                           "mockserver.engine", "mockserver.mock", "mockserver.web"),
    "mockserver.proxy": ("contracts", "mockserver.config", "mockserver.storage",
                         "mockserver.engine", "mockserver.mock", "mockserver.web"),
    "mockserver.cli": ("contracts", "mockserver.config", "mockserver.storage", "mockserver.mock",
                       "mockserver.web", "mockserver.proxy"),
    "conformance": ("contracts",),
}
# Third-party packages a folder must not import: the engine is no web framework.
FORBIDDEN: dict[str, tuple[str, ...]] = {
    "contracts": ("flask", "werkzeug"),
    "mockserver.storage": ("flask", "werkzeug"),
    "mockserver.engine": ("flask",),
    "mockserver.handlers": ("flask",),
    "mockserver.vendors": ("flask",),
    "mockserver.mock": ("flask",),
}
# Modules that exist to re-export (the packages' front doors and kept old import paths).
FRONT_DOORS = {"mockserver", "mockserver.intercept", "mockserver.pytest_plugin",
               "mockserver.__main__", "conformance", "conformance.__main__"}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def project_modules() -> dict[str, Path]:
    return {module_name(path): path for package in PACKAGES
            for path in sorted((ROOT / package).rglob("*.py"))}


def imports_of(name: str, path: Path, known: set[str]) -> tuple[set[str], set[str]]:
    """(project modules, top-level third-party names) a module imports, wherever the import
    stands (type-only ones included). A module's own ancestor packages are left out: Python
    initialises them before the module whatever it imports."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    is_package = path.name == "__init__.py"
    package = name if is_package else name.rpartition(".")[0]
    found: set[str] = set()
    external: set[str] = set()
    for node in ast.walk(tree):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            targets = [base] + [f"{base}.{alias.name}" for alias in node.names]
        for target in targets:
            if target in known:
                found.add(target)
            elif target and target.split(".")[0] not in PACKAGES:
                external.add(target.split(".")[0])
    ancestors = {".".join(name.split(".")[:i]) for i in range(1, name.count(".") + 1)}
    return found - ancestors - {name}, external


def graph() -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    modules = project_modules()
    edges, external = {}, {}
    for name, path in modules.items():
        edges[name], external[name] = imports_of(name, path, set(modules))
    return edges, external


def folder(name: str) -> str | None:
    """The most specific rule that governs a module."""
    matching = [rule for rule in RULES if name == rule or name.startswith(rule + ".")]
    return max(matching, key=len) if matching else None


def test_no_import_cycle() -> None:
    edges, _ = graph()
    state: dict[str, int] = {}
    cycles: list[list[str]] = []

    def visit(node: str, trail: list[str]) -> None:
        state[node] = 1
        for target in sorted(edges[node]):
            if state.get(target) == 1:
                cycles.append([*trail[trail.index(target):], target])
            elif target not in state:
                visit(target, [*trail, target])
        state[node] = 2

    for node in sorted(edges):
        if node not in state:
            visit(node, [node])
    assert not cycles, "import cycles: " + "; ".join(" -> ".join(c) for c in cycles)


def test_every_module_keeps_its_folders_rule() -> None:
    edges, external = graph()
    broken = []
    for name, targets in edges.items():
        if name in FRONT_DOORS:
            continue
        rule = folder(name)
        assert rule is not None, f"{name} is in no folder of the layout (add it to RULES)"
        allowed = (rule, *RULES[rule])
        for target in targets:
            if not any(target == a or target.startswith(a + ".") for a in allowed):
                broken.append(f"{name} imports {target}")
        for package in FORBIDDEN.get(rule, ()):
            if package in external[name]:
                broken.append(f"{name} imports {package}")
    assert not broken, "imports against the layout's rules:\n" + "\n".join(sorted(broken))


def test_the_rules_are_written_where_a_newcomer_reads_them() -> None:
    architecture = (ROOT / "ARCHITECTURE.md").read_text(encoding="utf-8")
    for name, path in project_modules().items():
        if path.name == "__init__.py" and name.count(".") <= 1:
            docstring = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""
            assert "Rule:" in docstring or name in FRONT_DOORS, f"{name} states no rule"
    for rule in RULES:
        assert f"`{rule.replace('.', '/')}" in architecture or f"`{rule}" in architecture, rule


def test_architecture_names_exactly_the_modules_there_are() -> None:
    architecture = (ROOT / "ARCHITECTURE.md").read_text(encoding="utf-8")
    named = {Path(match) for match in
             re.findall(r"`((?:contracts|mockserver|conformance)/[\w/]+\.py)`", architecture)}
    every = {path.relative_to(ROOT) for path in project_modules().values()}
    assert not named - every, f"named but missing: {sorted(map(str, named - every))}"
    modules = {path for path in every if path.name not in ("__init__.py", "__main__.py")}
    assert not modules - named, f"not in ARCHITECTURE.md: {sorted(map(str, modules - named))}"


PUBLIC_API = {
    "contracts": {"ContractError", "DEFAULT_TOKEN_LIFETIME", "ErrorFormat", "Extensions",
                  "Lifecycle", "METHODS", "Problem", "Resource", "TokenEndpoint", "available",
                  "check", "extensions", "is_below", "lifecycles", "link_parameters", "lint",
                  "load", "operations", "path", "resolve_refs", "shipped", "token_endpoint"},
    "mockserver": {"ApiError", "Behaviour", "Call", "ContractViolation", "Credentials",
                   "FaultRule", "Faults", "Intercepted", "JournalEntry", "LiveServer", "Mock",
                   "MockConfig", "MockHandle", "Reply", "ResponseContractError", "Run",
                   "Scenario", "Timing", "create_app", "intercept",
                   # test helpers (issue 12): names, own results, verification, virtual time
                   "ContractBreach", "ResultSlot", "Stub", "UnknownName", "VerificationError",
                   "VirtualTimeout"},
}


@pytest.mark.parametrize("package", sorted(PUBLIC_API))
def test_the_public_api_is_pinned(package: str) -> None:
    module = importlib.import_module(package)
    assert set(module.__all__) == PUBLIC_API[package]
    for name in module.__all__:
        value = getattr(module, name)
        if callable(value) and not isinstance(value, type(re)) and hasattr(value, "__module__"):
            assert (value.__doc__ or "").strip(), f"{package}.{name} has no docstring"


def test_old_import_paths_still_work() -> None:
    from mockserver.intercept import intercept
    from mockserver.pytest_plugin import vendor_mock

    assert intercept is importlib.import_module("mockserver.testing").intercept
    assert vendor_mock is importlib.import_module("mockserver.testing.pytest_plugin").vendor_mock
