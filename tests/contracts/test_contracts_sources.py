"""`contracts sources`: every x-source quote must still occur in the document it cites; a
changed document flags exactly the quotes whose words vanished."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import contracts
from contracts.cli import main
from contracts.sources import SHIPPED_SOURCES, check_quotes, normalise, quotes

POLL_DOC = "001_bd7e83fa93eb0743.txt"


def invoke(*args: str) -> Any:
    return CliRunner().invoke(main, list(args))


@pytest.mark.parametrize("name", contracts.available())
def test_a_shipped_contract_keeps_every_quote(name: str) -> None:
    cited, problems = check_quotes(contracts.load(name, resolve=False))
    assert problems == []
    assert len(cited) >= 10
    result = invoke("sources", name)
    assert result.exit_code == 0, result.output
    assert f"{len(cited)} quote(s)" in result.output and "0 without basis" in result.output


def test_quotes_are_placed_where_the_contract_makes_them() -> None:
    cited = quotes(contracts.load("further", resolve=False))
    places = {q.place for q in cited}
    assert "x-lifecycles.execution.x-source.1" in places
    assert "x-lifecycles.execution.webhooks.x-source" in places


def _changed_copy(tmp_path: Path, doc: str, vanish: str) -> Path:
    """The shipped sources with one document whose `vanish` passage is gone (re-wrapped, too:
    whitespace must not matter)."""
    copy = tmp_path / "sources"
    shutil.copytree(SHIPPED_SOURCES, copy)
    text = normalise((copy / doc).read_text(encoding="utf-8"))
    assert vanish in text
    rewrapped = text.replace(vanish, "").replace(". ", ".\n   ")
    (copy / doc).write_text(rewrapped, encoding="utf-8")
    return copy


def _expected_lost(name: str, doc: str, directory: Path) -> set[str]:
    """The quotes citing `doc` whose words the changed copy no longer has, computed apart."""
    text = normalise((directory / doc).read_text(encoding="utf-8"))
    return {q.place for q in quotes(contracts.load(name, resolve=False))
            if q.doc == doc and normalise(q.quote) not in text}


def test_a_changed_document_flags_exactly_the_vanished_quotes(tmp_path: Path) -> None:
    directory = _changed_copy(tmp_path, POLL_DOC, "Only present when status is completed")
    lost = _expected_lost("further", POLL_DOC, directory)
    assert "x-lifecycles.execution.x-source.1" in lost  # "Only present when status is ..."
    assert len(lost) >= 2  # the schema's quotes of the sentence too
    _, problems = check_quotes(contracts.load("further", resolve=False), directory)
    assert {p.place for p in problems} == lost
    assert all("no longer occurs in 001_bd7e83fa93eb0743.txt" in p.message for p in problems)


def test_the_command_reports_each_lost_quote_and_exits_1(tmp_path: Path) -> None:
    directory = _changed_copy(tmp_path, POLL_DOC, "Only present when status is completed")
    result = invoke("sources", "further", "--source-dir", str(directory))
    assert result.exit_code == 1
    lost = _expected_lost("further", POLL_DOC, directory)
    flagged = [line.split(": ", 1)[0] for line in result.output.splitlines()[:-1]]
    assert sorted(flagged) == sorted(lost)
    assert f"{len(lost)} without basis" in result.output.splitlines()[-1]


def test_one_document_can_be_replaced_by_a_fetched_copy(tmp_path: Path) -> None:
    fetched = tmp_path / "page.txt"
    fetched.write_text("The page was rewritten; nothing it said before is here.",
                       encoding="utf-8")
    result = invoke("sources", "further", "--source", f"{POLL_DOC}={fetched}")
    assert result.exit_code == 1
    cited = [q for q in quotes(contracts.load("further", resolve=False)) if q.doc == POLL_DOC]
    assert result.output.count(str(fetched)) == len(cited)
    assert "000_302e39814122126b.txt" not in result.output  # the other document still holds


def test_a_document_that_cannot_be_read_is_named(tmp_path: Path) -> None:
    directory = tmp_path / "sources"
    directory.mkdir()
    result = invoke("sources", "phinite", "--source-dir", str(directory))
    assert result.exit_code == 1
    assert "004_85c2db3569a1f453.txt cannot be read at" in result.output


def test_a_quote_of_an_unlisted_document_or_without_words_is_flagged(tmp_path: Path) -> None:
    document = contracts.load("further", resolve=False)
    document["info"]["x-source"] = [{"doc": "002_267a3c421b20d885.txt", "quote": "Chats"},
                                    {"doc": POLL_DOC}]
    file = tmp_path / "further.yaml"
    file.write_text(json.dumps(document), encoding="utf-8")
    result = invoke("sources", str(file))
    assert result.exit_code == 1
    assert "info.x-source.0: 002_267a3c421b20d885.txt is not one of x-vendor.sources" \
        in result.output
    assert "info.x-source.1: an x-source needs `doc` and `quote`" in result.output


@pytest.mark.parametrize(("args", "says"), [
    (["sources", "nosuch"], "no contract named 'nosuch'"),
    (["sources", "further", "--source-dir", "/nonexistent"], "is not a directory"),
    (["sources", "further", "--source", "no-equals-sign"], "expected DOC=PATH"),
    (["sources", "further", "--source", f"{POLL_DOC}=/nonexistent.txt"], "is not a file"),
])
def test_bad_arguments_are_usage_errors(args: list[str], says: str) -> None:
    result = invoke(*args)
    assert result.exit_code == 2
    assert says in result.output


def test_a_malformed_contract_is_a_usage_error(tmp_path: Path) -> None:
    file = tmp_path / "bad.yaml"
    file.write_text("x-source: [unclosed", encoding="utf-8")
    result = invoke("sources", str(file))
    assert result.exit_code == 2
    assert "not valid YAML" in result.output
    assert "Traceback" not in result.output
