"""The URLs a contract hands out (`x-hypermedia`): modelled, linted, and refused when wrong
rather than silently skipped by the suite."""

from __future__ import annotations

from pathlib import Path

import pytest

import contracts
from contracts.extensions import ContractError, Extensions

FLOWFLOW = contracts.path("flowflow").read_text(encoding="utf-8")
FUTURITY = contracts.path("futurity").read_text(encoding="utf-8")


def test_the_shipped_contracts_declare_their_handed_out_urls() -> None:
    [progress] = contracts.extensions("flowflow").hypermedia
    assert (progress.handed_out_by, progress.url, progress.follow) == (
        "startWorkflow", "/progress_api_url", "getWorkflowProgress")
    assert progress.same == {"/workflow/run/id": "/workflow/run/id"}
    [download] = contracts.extensions("futurity").hypermedia
    assert (download.url, download.follow, download.content) == ("/data/url", None, "/file")
    assert contracts.extensions("further").hypermedia == []


@pytest.mark.parametrize(("text", "original", "mistake", "named"), [
    (FLOWFLOW, "    follow: getWorkflowProgress\n", "    folow: getWorkflowProgress\n",
     "x-hypermedia.0.folow: Extra inputs are not permitted"),
    (FLOWFLOW, "    follow: getWorkflowProgress\n", "    follow: getWorkflowProgres\n",
     "x-hypermedia.0.follow: no operation 'getWorkflowProgres'; did you mean "
     "'getWorkflowProgress'?"),
    (FLOWFLOW, "  - in: startWorkflow\n", "  - in: startWorkflows\n",
     "x-hypermedia.0.in: no operation 'startWorkflows'; did you mean 'startWorkflow'?"),
    (FLOWFLOW, "    url: /progress_api_url\n", "    url: /progress_url\n",
     "x-hypermedia.0.url: '/progress_url' is not a place startWorkflow's success response"),
    (FLOWFLOW, "    same: {/workflow/run/id: /workflow/run/id}\n",
     "    same: {/workflow/run/id: /workflow/run/uid}\n",
     "x-hypermedia.0.same./workflow/run/id: '/workflow/run/uid' is not a place "
     "getWorkflowProgress's"),
    (FUTURITY, "    url: /data/url\n", "    url: data/url\n",
     "x-hypermedia.0.url: String should match pattern '^/'"),
])
def test_a_hypermedia_mistake_is_named_with_its_place(tmp_path: Path, text: str, original: str,
                                                      mistake: str, named: str) -> None:
    assert original in text
    broken = tmp_path / "contract.yaml"
    broken.write_text(text.replace(original, mistake, 1), encoding="utf-8")
    problems = [str(problem) for problem in contracts.lint(str(broken))]
    assert any(problem.startswith(named) for problem in problems), problems


def test_a_contract_whose_hypermedia_does_not_parse_is_refused_when_loaded() -> None:
    document = contracts.load("flowflow")
    document["x-hypermedia"] = [{"in": "startWorkflow", "url": "/progress_api_url",
                                 "folow": "getWorkflowProgress"}]
    with pytest.raises(ContractError, match=r"`x-hypermedia` is invalid: folow"):
        Extensions.from_document(document)
    document["x-hypermedia"] = {"in": "startWorkflow"}
    with pytest.raises(ContractError, match="expected a list"):
        Extensions.from_document(document)
