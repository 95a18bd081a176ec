"""The build a fresh machine gets is the one CI proved: the README's commands and `.ci/run`
install from the same pins, and the pins sit inside the ranges users install from."""

from __future__ import annotations

import re
from pathlib import Path

import tomllib
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
CONSTRAINTS = ".ci/constraints.txt"


def quick_start() -> list[str]:
    """The shell commands of the README's quick start, in order."""
    text = (ROOT / "README.md").read_text()
    section = text.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    return [line.strip() for block in re.findall(r"```sh\n(.*?)```", section, re.S)
            for line in block.splitlines() if line.strip()]


def pins() -> dict[str, str]:
    found = {}
    for line in (ROOT / CONSTRAINTS).read_text().splitlines():
        if line and not line.startswith("#"):
            name, _, version = line.partition("==")
            found[canonicalize_name(name)] = version
    return found


def test_the_quick_start_is_two_commands_that_install_the_pins():
    commands = quick_start()
    assert len(commands) == 2, commands
    serve, test = commands
    assert f"pip install -c {CONSTRAINTS} ." in serve and "mockserver serve" in serve
    assert f"pip install -c {CONSTRAINTS} -e '.[dev]'" in test and "-m pytest" in test


def test_ci_runs_the_readme_test_command_then_lint_and_types():
    script = (ROOT / ".ci/run").read_text()
    test = quick_start()[1]
    assert test.replace(".venv/bin/pip install", ".venv/bin/pip install -q") in script
    lines = script.splitlines()
    position = {name: next(i for i, line in enumerate(lines) if line.startswith(name))
                for name in (test.split(" &&")[0], ".venv/bin/ruff check .", ".venv/bin/mypy")}
    assert list(position.values()) == sorted(position.values())


def test_every_dependency_is_pinned_inside_its_range():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = [Requirement(text) for text in
              [*project["dependencies"], *project["optional-dependencies"]["dev"]]]
    pinned = pins()
    for requirement in wanted:
        name = canonicalize_name(requirement.name)
        assert name in pinned, f"{requirement.name} is not pinned in {CONSTRAINTS}"
        assert requirement.specifier.contains(pinned[name], prereleases=True), \
            f"{CONSTRAINTS} pins {name}=={pinned[name]}, outside {requirement}"


def test_the_verifying_tools_are_pinned():
    pinned = pins()
    for tool in ("mypy", "ruff", "pytest", "redis", "pydantic", "schemathesis", "hypothesis"):
        assert tool in pinned, tool


def test_test_modules_have_unique_basenames():
    """The tests folders are not packages, so pytest imports each module by its basename:
    two modules of one name stop collection on a clean clone (no stale bytecode to hide it)."""
    seen: dict[str, list[str]] = {}
    for path in (ROOT / "tests").rglob("test_*.py"):
        seen.setdefault(path.name, []).append(str(path.relative_to(ROOT)))
    assert not {name: paths for name, paths in seen.items() if len(paths) > 1}
