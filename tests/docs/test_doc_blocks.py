"""Every fenced block of the README and the docs runs as printed, so a page that drifts from the
code fails CI.

Writing docs (CONTRIBUTING): each fenced block says by its language how it is checked.

- ```console: the lines starting with `$ ` are commands (a line ending in `\\` goes on), run
  with bash, in document order, in one empty working directory per page, while a served mock
  (`mockserver serve`, the README's first command) listens. The lines after a command are its
  output (stdout and stderr), compared with what it printed: line by line, `...` alone on a
  line standing for any lines and `…` or `...` inside one for any text; no lines, no comparison.
  A command must exit 0, unless the next command is `echo $?`, which then shows its status.
  `mockserver serve` and `mockserver proxy` are started, waited for until they answer, and
  stopped when the page is done (at once unless the command ends in `&`).
- ```bash / ```sh: the whole block is one script, which must exit 0.
- ```python: a block defining `test_` functions (or assigning `test_...`) is a test file:
  all of a page's run in one pytest (with the plugin) in a subprocess, which must pass; any
  other block is run by python and must exit 0.
- ```yaml / ```json: parsed.
- ```text: what a command prints, or a synopsis; shown only.
- A block that truly cannot run here is preceded by `<!-- not-run: the reason -->`.

Substitutions, so a page can print the documented addresses while its test runs beside others:
the ports 8080 (the served mock), 8081 and 8082 (further servers and proxies) and 6379 (a
Redis) in a command or a Python block are each replaced by a free port (a private redis-server
for 6379), and in the output the ports are put back; a `mockserver serve` given no `--port` gets
a free one; UUIDs compare equal to any UUID. Some pages' examples start from files they describe
but do not make (a changed contract, a recording): `setups.py` makes them first.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
import requests
import yaml

from tests.docs.blocks import (
    COMMANDS,
    PARSED,
    ROOT,
    RUN,
    SHOWN,
    Block,
    blocks,
    commands,
    documents,
    indented_blocks,
)
from tests.docs.setups import SETUPS
from tests.helpers import Served, free_port
from tests.redis_server import RedisServer

MAX_NOT_RUN = 16
"""Not-run blocks stay few: each one is a page nobody checks."""
DOC_PORTS = (8080, 8081, 8082)
REDIS_PORT = 6379
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
LONG_RUNNING = re.compile(r"^(?:\S*/)?mockserver (serve|proxy)\b")

ALL = [block for path in documents() for block in blocks(path)]


def _runnable(block: Block) -> bool:
    return block.language in RUN and block.not_run is None


PAGES = sorted({block.path for block in ALL if _runnable(block)})


def test_every_block_has_a_language_that_says_how_it_is_checked():
    unknown = [f"{b.where} ```{b.language}" for b in ALL
               if b.language not in RUN | PARSED | SHOWN]
    assert not unknown, f"blocks of no known language: {unknown}"
    indented = [place for path in documents() for place in indented_blocks(path)]
    assert not indented, f"indented code blocks carry no language; fence them: {indented}"


def test_blocks_not_run_are_few_and_each_says_why():
    skipped = [block for block in ALL if block.not_run is not None]
    for block in skipped:
        print(f"not run: {block.where} ```{block.language}: {block.not_run}")
    assert all(block.not_run for block in skipped), "a not-run comment without its reason"
    assert len(skipped) <= MAX_NOT_RUN, [block.where for block in skipped]


@pytest.mark.parametrize("block", [b for b in ALL if b.language in PARSED],
                         ids=lambda block: block.where)
def test_data_blocks_parse(block):
    if block.language == "json":
        json.loads(block.text)
    else:
        yaml.safe_load(block.text)


def test_every_benchmark_the_docs_name_exists_and_takes_its_options():
    """Benchmarks take minutes, so their command lines are shown, not run; each still names a
    script that answers `--help` and knows every option the docs give it."""
    named = {(match.group(1), match.group(2) or "") for block in ALL if block.language in SHOWN
             for match in re.finditer(r"python (benchmarks/\w+\.py)([^\n#]*)", block.text)}
    assert named
    for script, options in sorted(named):
        result = subprocess.run([sys.executable, script, "--help"], cwd=ROOT,
                                capture_output=True, text=True, timeout=60, check=False)
        assert result.returncode == 0, (script, result.stderr)
        unknown = set(re.findall(r"--[\w-]+", options)) - set(re.findall(r"--[\w-]+",
                                                                       result.stdout))
        assert not unknown, f"{script} does not take {sorted(unknown)}"


def test_every_page_is_in_the_site_navigation():
    nav = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    listed = set(re.findall(r"^\s*- [^:#]+: (\S+\.md)$", nav, re.M))
    assert listed == {path.name for path in (ROOT / "docs").glob("*.md")}


def test_the_readmes_links_resolve():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    targets = [t for t in re.findall(r"\]\(([^)#]+)[^)]*\)", text) if "://" not in t]
    assert targets and all((ROOT / target).exists() for target in targets), targets


# -- running a page ----------------------------------------------------------------------------


class Page:
    """One page's working directory, its served mock, the servers its commands started, and
    the free ports standing for the documented ones."""

    def __init__(self, stack: ExitStack, workdir: Path) -> None:
        self.stack = stack
        self.workdir = workdir
        self.served = stack.enter_context(Served("--store", "memory", cwd=workdir))
        self.ports = {8080: self.served.port, **{port: free_port() for port in DOC_PORTS[1:]}}
        self.redis: RedisServer | None = None
        self.background: list[subprocess.Popen[str]] = []
        self.env = {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}",
                    "PYTHONUNBUFFERED": "1", "NO_MKDOCS_2_WARNING": "1"}
        stack.callback(self.stop_background)

    def localize(self, text: str) -> str:
        if f":{REDIS_PORT}" in text:
            if self.redis is None:
                self.redis = RedisServer(self.workdir / ".redis")
                self.stack.callback(self.redis.stop)
            text = text.replace(f"127.0.0.1:{REDIS_PORT}", f"127.0.0.1:{self.redis.port}")
        for documented, real in self.ports.items():
            text = re.sub(rf"(?<=127\.0\.0\.1:){documented}\b|(?<=--port ){documented}\b",
                          str(real), text)
        return text

    def delocalize(self, text: str) -> str:
        for documented, real in self.ports.items():
            text = re.sub(rf"(?<=127\.0\.0\.1:){real}\b", str(documented), text)
        return UUID.sub("<uuid>", text)

    def shell(self, command: str) -> tuple[int, str]:
        command = self.localize(command)
        if LONG_RUNNING.match(command):
            return self.start(command)
        result = subprocess.run(["bash", "-c", command], cwd=self.workdir, env=self.env,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                timeout=300, check=False)
        return result.returncode, result.stdout

    def start(self, command: str) -> tuple[int, str]:
        """A server command: started, ready once it answers its health check; kept running
        if it ends in `&`, else stopped at once; its status and what it printed."""
        background = command.rstrip().endswith("&")
        command = command.rstrip().rstrip("&").rstrip()
        if "--port" not in command:
            command += f" --port {free_port()}"
        port = int(re.search(r"--port (\d+)", command).group(1))
        output = tempfile.TemporaryFile(mode="w+")  # noqa: SIM115 (closed with the page)
        self.stack.callback(output.close)
        process = subprocess.Popen(["bash", "-c", f"exec {command}"], cwd=self.workdir,
                                   env=self.env, stdout=output, stderr=subprocess.STDOUT,
                                   text=True, start_new_session=True)
        self.background.append(process)
        deadline = time.monotonic() + 30
        while process.poll() is None and time.monotonic() < deadline:
            try:
                requests.get(f"http://127.0.0.1:{port}/__mock__/health", timeout=2)
                break
            except requests.RequestException:
                time.sleep(0.1)
        status = process.poll()
        if status is None and not background:
            self.stop(process)
        output.seek(0)
        return (0 if status is None else status), output.read()

    @staticmethod
    def stop(process: subprocess.Popen[str]) -> None:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=30)

    def stop_background(self) -> None:
        for process in self.background:
            self.stop(process)


def _pattern(expected: list[str]) -> re.Pattern[str]:
    parts = []
    for line in expected:
        if line.strip() in ("...", "…"):
            parts.append(r"(?:[^\n]*\n)*?")
        else:
            pieces = re.split(r"\.\.\.|…", UUID.sub("<uuid>", line.rstrip()))
            parts.append(".*?".join(re.escape(piece) for piece in pieces) + r"[ \t]*\n")
    return re.compile("".join(parts))


def _printed(text: str) -> str:
    return "".join(line.rstrip() + "\n" for line in text.splitlines())


def _run_console(page: Page, block: Block) -> list[str]:
    problems = []
    status = 0
    steps = commands(block)
    for index, step in enumerate(steps):
        if step.line.strip() == "echo $?":
            printed = f"{status}\n"
        else:
            status, printed = page.shell(step.line)
            following = steps[index + 1].line.strip() if index + 1 < len(steps) else ""
            if status != 0 and following != "echo $?":
                problems.append(f"{block.where}: `{step.line}` exited {status}:\n{printed}")
                break
        if step.expected and not _pattern(step.expected).fullmatch(
                _printed(page.delocalize(printed))):
            problems.append(f"{block.where}: `{step.line}` printed\n{printed}\nnot\n"
                            + "\n".join(step.expected))
    return problems


def _run_python(page: Page, block: Block) -> list[str]:
    script = page.workdir / f"doc_{Path(block.path).stem}_{block.line}.py"
    script.write_text(page.localize(block.text), encoding="utf-8")
    result = subprocess.run([sys.executable, script.name], cwd=page.workdir, env=page.env,
                            capture_output=True, text=True, timeout=300, check=False)
    if result.returncode != 0:
        return [f"{block.where}: python exited {result.returncode}:\n{result.stderr}"]
    return []


def _run_tests(page: Page, tests: list[Block]) -> list[str]:
    files = []
    for block in tests:
        stem = re.sub(r"\W", "_", Path(block.path).stem)
        name = f"test_doc_{stem}_{block.line}.py"
        (page.workdir / name).write_text(page.localize(block.text), encoding="utf-8")
        files.append(name)
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                             *files], cwd=page.workdir, env=page.env, capture_output=True,
                            text=True, timeout=600, check=False)
    if result.returncode != 0 or re.search(r"skipped|xfail|deselected", result.stdout):
        return [f"{', '.join(b.where for b in tests)}: pytest:\n{result.stdout}{result.stderr}"]
    return []


@pytest.fixture
def page(tmp_path: Path) -> Iterator[Page]:
    with ExitStack() as stack:
        yield Page(stack, tmp_path)


@pytest.mark.parametrize("path", PAGES)
def test_the_blocks_of_each_page_run_as_printed(path, page):
    SETUPS.get(path, lambda workdir: None)(page.workdir)
    problems: list[str] = []
    tests: list[Block] = []
    ran = 0
    for block in (b for b in ALL if b.path == path and _runnable(b)):
        ran += 1
        if block.language == "python" and re.search(r"^(?:def test_|test_\w+ = )", block.text,
                                                    re.M):
            tests.append(block)
        elif block.language == "python":
            problems += _run_python(page, block)
        elif block.language == "console":
            problems += _run_console(page, block)
        else:
            assert block.language in COMMANDS
            status, printed = page.shell(block.text)
            if status != 0:
                problems.append(f"{block.where}: script exited {status}:\n{printed}")
    if tests:
        problems += _run_tests(page, tests)
    assert ran
    assert not problems, "\n\n".join(problems)
