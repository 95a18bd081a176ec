"""The gate as a CI step: `.ci/gate`, the one script behind the GitHub Action (`action.yml`) and
the GitLab template, run as CI runs it (inputs as environment variables) against a served mock
with accounts nobody on the project chose, and against a broken implementation; the action, the
template and the pre-commit hook agree with the script; the Dockerfile runs console scripts the
package installs. Nothing is installed from the network: `GATE_SKIP_INSTALL=1` makes the script
use this environment's `conformance`, which is what a CI runner has after the install step."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import pytest
import tomllib
import yaml

from tests.broken.accounts import CREDENTIALS, account_flags
from tests.broken.catalogue import CATALOGUE
from tests.broken.serve import BASE_PATHS, serve
from tests.helpers import Served

ROOT = Path(__file__).resolve().parent.parent
GATE = ROOT / ".ci" / "gate"
FLAGS = "--fast-forward --profile quick"
SECRET_INPUTS = ("INPUT_CLIENT_SECRET", "INPUT_TOKEN", "INPUT_OTHER_CLIENT_SECRET",
                 "INPUT_OTHER_TOKEN")


def _inputs_of(vendor: str) -> dict[str, str]:
    """This session's accounts of `vendor` as the gate's credential inputs."""
    return {f"INPUT_{field.upper()}": value for field, value in CREDENTIALS[vendor].items()}


def gate(cwd: Path, **inputs: str) -> subprocess.CompletedProcess[str]:
    """`.ci/gate` with exactly these inputs, nothing inherited that a CI runner would set."""
    env = {name: value for name, value in os.environ.items()
           if not name.startswith(("INPUT_", "GITHUB_", "CONFORMANCE_", "GATE_"))}
    env.update(GATE_SKIP_INSTALL="1", GATE_PYTHON=sys.executable, **inputs)
    return subprocess.run([str(GATE)], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=600)


def failures(junit: Path) -> int:
    return sum(int(suite.get("failures", "0")) for suite in ElementTree.parse(junit).getroot())


@pytest.fixture(scope="module")
def root():
    with Served("--store", "memory", "--workers", "1", "--threads", "8", *account_flags(),
                cwd=ROOT) as served:
        yield served.base


@pytest.fixture(scope="module")
def conforming(root, tmp_path_factory):
    """One gate run as a GitHub job runs it: OAuth2 clients for two tenants, reports in a
    folder that does not exist yet, a step summary already holding an earlier step's."""
    cwd = tmp_path_factory.mktemp("conforming")
    (cwd / "step-summary.md").write_text("## an earlier step\n", encoding="utf-8")
    done = gate(cwd, INPUT_CONTRACT="further", INPUT_BASE_URL=root + BASE_PATHS["further"],
                INPUT_ARGS=FLAGS, INPUT_JUNIT="reports/junit.xml",
                INPUT_SUMMARY="reports/summary.md",
                GITHUB_STEP_SUMMARY=str(cwd / "step-summary.md"), **_inputs_of("further"))
    return cwd, done


def test_a_conforming_implementation_passes_the_gate(conforming):
    cwd, done = conforming
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.rstrip().endswith("CONFORMS")
    assert failures(cwd / "reports" / "junit.xml") == 0
    summary = (cwd / "reports" / "summary.md").read_text(encoding="utf-8")
    assert summary.startswith("## Conformance: `further` at ") and " — conforms" in summary


def test_the_summary_is_appended_to_the_step_summary(conforming):
    cwd, _ = conforming
    step = (cwd / "step-summary.md").read_text(encoding="utf-8")
    assert step == "## an earlier step\n" + (cwd / "reports" / "summary.md").read_text("utf-8")


def test_no_credential_is_printed_or_reported(conforming):
    cwd, done = conforming
    shown = done.stdout + done.stderr + (cwd / "reports" / "junit.xml").read_text("utf-8") \
        + (cwd / "reports" / "summary.md").read_text("utf-8")
    assert "Checking " in shown
    for value in CREDENTIALS["further"].values():
        assert value not in shown


@pytest.mark.parametrize("name", ["phinite-422-detail-string", "flowflow-finished-lowercase"])
def test_a_broken_implementation_fails_the_gate_with_the_violation_reported(name, tmp_path):
    breakage = next(b for b in CATALOGUE if b.name == name)
    with serve(breakage) as broken:
        done = gate(tmp_path, INPUT_CONTRACT=breakage.vendor,
                    INPUT_BASE_URL=broken + BASE_PATHS[breakage.vendor],
                    INPUT_ARGS=f"{FLAGS} --checks {breakage.family}",
                    **_inputs_of(breakage.vendor))
    assert done.returncode == 1, done.stdout + done.stderr
    assert done.stdout.rstrip().endswith("VIOLATION(S)")
    junit = tmp_path / "conformance-junit.xml"
    assert failures(junit) >= 1
    rules = {failure.get("message") for failure in ElementTree.parse(junit).iter("failure")}
    summary = (tmp_path / "conformance-summary.md").read_text(encoding="utf-8")
    assert re.search(r" — \d+ violation\(s\)\n", summary) and "### Violations" in summary
    assert all(rule and rule in summary for rule in rules), (rules, summary)


@pytest.mark.parametrize(("missing", "named"), [("INPUT_CONTRACT", "contract input"),
                                                ("INPUT_BASE_URL", "base-url input")])
def test_a_missing_required_input_is_a_usage_error_naming_it(missing, named, tmp_path):
    inputs = {"INPUT_CONTRACT": "phinite", "INPUT_BASE_URL": "http://127.0.0.1:9/phinite"}
    del inputs[missing]
    done = gate(tmp_path, **inputs)
    assert done.returncode == 2
    assert f"{missing} is required" in done.stderr and named in done.stderr
    assert "Traceback" not in done.stderr and not list(tmp_path.iterdir())


def test_in_github_actions_secrets_are_masked_and_a_refused_run_says_so(root, tmp_path):
    """Refused credentials: exit 2, no stale JUnit left to stand for this run, a summary that
    says nothing was checked; every printed secret is on the runner's mask command."""
    (tmp_path / "conformance-junit.xml").write_text("<testsuites/>", encoding="utf-8")
    wrong = {name: f"{value}-wrong" for name, value in _inputs_of("phinite").items()}
    done = gate(tmp_path, INPUT_CONTRACT="phinite", INPUT_BASE_URL=root + BASE_PATHS["phinite"],
                INPUT_ARGS=FLAGS, GITHUB_ACTIONS="true", **wrong)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "refused the token" in done.stderr
    assert not (tmp_path / "conformance-junit.xml").exists()
    summary = (tmp_path / "conformance-summary.md").read_text(encoding="utf-8")
    assert summary.startswith("## Conformance: `phinite` at ") and "not checked (exit 2)" in summary
    for secret in (wrong[name] for name in SECRET_INPUTS if name in wrong):
        lines = [line for line in (done.stdout + done.stderr).splitlines() if secret in line]
        assert lines == [f"::add-mask::{secret}"]


# -- the definitions around the script agree with it -------------------------------------------

def _script_inputs() -> set[str]:
    code = [line.split("#", 1)[0] for line in GATE.read_text(encoding="utf-8").splitlines()
            if not line.lstrip().startswith("#")]
    return set(re.findall(r"\bINPUT_[A-Z_]+\b", "\n".join(code)))


def _required_by_script() -> set[str]:
    return set(re.findall(r"(INPUT_[A-Z_]+) is required", GATE.read_text(encoding="utf-8")))


def _variable(name: str) -> str:
    return "INPUT_" + name.upper().replace("-", "_")


def test_the_script_is_executable_and_strict():
    text = GATE.read_text(encoding="utf-8")
    assert os.access(GATE, os.X_OK)
    assert text.startswith("#!/usr/bin/env bash\n") and "set -euo pipefail" in text
    assert "set -x" not in text and "xtrace" not in text
    assert _required_by_script() == {"INPUT_CONTRACT", "INPUT_BASE_URL"}


def test_the_action_passes_every_input_to_the_script_and_the_script_reads_only_inputs():
    action = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))
    assert action["runs"]["using"] == "composite"
    inputs, steps = action["inputs"], action["runs"]["steps"]
    step = next(s for s in steps if ".ci/gate" in s.get("run", ""))
    assert step["run"] == '"$GITHUB_ACTION_PATH/.ci/gate"' and step["shell"] == "bash"
    assert step["env"] == {_variable(name): f"${{{{ inputs.{name} }}}}" for name in inputs
                           if _variable(name) in _script_inputs()}
    assert set(step["env"]) == _script_inputs()
    used_elsewhere = {name for name in inputs if any(
        f"inputs.{name} " in str(s.get("with", {})) for s in steps if s is not step)}
    assert used_elsewhere | {n for n in inputs if _variable(n) in step["env"]} == set(inputs)
    assert {_variable(n) for n, spec in inputs.items() if spec.get("required")} \
        == _required_by_script()
    for name in ("client-id", "client-secret", "token", "other-client-id",
                 "other-client-secret", "other-token"):
        assert "secrets." in inputs[name]["description"], name


def test_the_action_uploads_both_reports_whatever_the_verdict():
    steps = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))["runs"]["steps"]
    assert steps[0]["uses"].startswith("actions/setup-python@")
    assert steps[0]["with"]["python-version"] == "${{ inputs.python-version }}"
    upload = next(s for s in steps if s.get("uses", "").startswith("actions/upload-artifact@"))
    assert upload["if"] == "always()"
    assert upload["with"]["path"].splitlines() == ["${{ inputs.junit }}", "${{ inputs.summary }}"]


def test_the_gitlab_template_runs_the_same_script_with_its_inputs():
    template = yaml.safe_load((ROOT / ".gitlab" / "conformance.gitlab-ci.yml").read_text("utf-8"))
    assert list(template) == [".conformance"]  # hidden: a job only where a user extends it
    job = template[".conformance"]
    assert job["script"] == ['"$GATE_HOME/.ci/gate"']
    variables = job["variables"]
    credentials = {f"INPUT_{name}" for name in ("CLIENT_ID", "CLIENT_SECRET", "TOKEN",
                                                "OTHER_CLIENT_ID", "OTHER_CLIENT_SECRET",
                                                "OTHER_TOKEN")}
    assert credentials <= _script_inputs()
    assert {v for v in variables if v.startswith("INPUT_")} == _script_inputs() - credentials
    text = (ROOT / ".gitlab" / "conformance.gitlab-ci.yml").read_text(encoding="utf-8")
    assert all(name in text for name in credentials)  # named as CI/CD variables to define
    artifacts = job["artifacts"]
    assert artifacts["when"] == "always"
    assert artifacts["reports"]["junit"] == variables["INPUT_JUNIT"]
    assert artifacts["paths"] == [variables["INPUT_JUNIT"], variables["INPUT_SUMMARY"]]
    assert any("$GATE_REPOSITORY" in line and '"$GATE_HOME"' in line
               for line in job["before_script"])


# -- pre-commit ---------------------------------------------------------------------------------

def _hook() -> dict:
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    assert [hook["id"] for hook in hooks] == ["mockserver-lint"]
    return hooks[0]


def _run_hook(files: list[str]) -> subprocess.CompletedProcess[str]:
    """The hook as pre-commit runs it: `entry`, then the files, in the hook's environment."""
    entry = shlex.split(_hook()["entry"])
    command = [str(Path(sys.executable).parent / entry[0]), *entry[1:], *files]
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120)


def test_the_hook_is_a_python_hook_running_mockserver_lint():
    hook = _hook()
    assert hook["language"] == "python" and shlex.split(hook["entry"]) == ["mockserver", "lint"]
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]["scripts"]
    assert "mockserver" in scripts


def test_the_hook_passes_the_shipped_contracts():
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True,
                             check=True).stdout.split()
    chosen = [name for name in tracked if re.search(_hook()["files"], name)]
    assert sorted(chosen) == sorted(f"contracts/{n}.yaml" for n in BASE_PATHS), chosen
    done = _run_hook(chosen)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.count(": ok") == len(chosen)


def test_the_hook_fails_on_a_broken_contract(tmp_path):
    broken = tmp_path / "contracts" / "phinite.yaml"
    broken.parent.mkdir()
    shutil.copy(ROOT / "contracts" / "phinite.yaml", broken)
    text = broken.read_text(encoding="utf-8")
    broken.write_text(text.replace("initial: running", "initial: queued"), encoding="utf-8")
    assert broken.read_text(encoding="utf-8") != text
    assert re.search(_hook()["files"], "contracts/phinite.yaml")
    done = _run_hook([str(broken)])
    assert done.returncode == 2
    assert "queued" in done.stdout + done.stderr and "Traceback" not in done.stderr


# -- Docker -------------------------------------------------------------------------------------

def _instruction(name: str) -> str:
    lines = (ROOT / "Dockerfile").read_text(encoding="utf-8").splitlines()
    found = [line.split(None, 1)[1] for line in lines if line.startswith(f"{name} ")]
    assert len(found) == 1, (name, found)
    return found[0]


def test_the_image_runs_installed_console_scripts_as_a_user_on_its_exposed_port():
    """Never built here (no base image is reachable); its commands are checked instead."""
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]["scripts"]
    command = json.loads(_instruction("CMD"))
    assert command[:2] == ["mockserver", "serve"] and command[0] in scripts
    assert command[command.index("--host") + 1] == "0.0.0.0"
    assert command[command.index("--port") + 1] == _instruction("EXPOSE")
    assert _instruction("USER") != "root"
    assert _instruction("FROM") == "python:3.11-slim"
    assert "-c .ci/constraints.txt ." in _instruction("RUN")
    assert "conformance" in scripts  # `docker run IMAGE conformance run ...`
    allowed = (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
    assert "*" in allowed and "!.ci/constraints.txt" in allowed and "!README.md" in allowed


# -- docs/ci-step.md ----------------------------------------------------------------------------

def _yaml_blocks() -> list:
    text = (ROOT / "docs" / "ci-step.md").read_text(encoding="utf-8")
    return [yaml.safe_load(block) for block in re.findall(r"```yaml\n(.*?)```", text, re.S)]


def test_the_documented_uses_name_real_inputs_and_hooks():
    workflow, gitlab, precommit = _yaml_blocks()
    action = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))
    given = workflow["jobs"]["gate"]["steps"][0]["with"]
    required = {name for name, spec in action["inputs"].items() if spec.get("required")}
    assert required <= set(given) <= set(action["inputs"])
    assert all(str(given[name]).startswith("${{ secrets.") for name in given
               if "client" in name or "token" in name)
    job = gitlab["conformance"]
    assert job["extends"] == ".conformance"
    assert gitlab["include"][0]["remote"].endswith("/.gitlab/conformance.gitlab-ci.yml")
    assert _required_by_script() <= set(job["variables"]) <= set(
        yaml.safe_load((ROOT / ".gitlab/conformance.gitlab-ci.yml").read_text("utf-8"))
        [".conformance"]["variables"])
    assert [hook["id"] for hook in precommit["repos"][0]["hooks"]] == [_hook()["id"]]
