"""The control API endpoints the console uses, in-process and over a socket: a vendor's
operations and lifecycles, runs by state with their timelines, one fault rule removed, queued
scenarios, and the journal filtered by vendor, operation, verdict and run."""

from __future__ import annotations

import pytest

from tests.helpers import start, status, sync


def test_a_vendors_operations_and_lifecycles(api):
    operations = api.request("GET", "/__mock__/vendors/phinite/operations").json()
    by_id = {op["id"]: op for op in operations}
    assert by_id["startBackgroundTask"]["method"] == "POST"
    assert by_id["startBackgroundTask"]["roles"] == ["create"]
    assert by_id["getBackgroundTaskStatus"]["path"].startswith("/api/v1/ai/trigger/status/")
    lifecycles = api.request("GET", "/__mock__/vendors/phinite/lifecycles").json()
    assert lifecycles["task"]["states"] == ["running", "completed", "failed"]
    assert {"completed", "failed"} <= set(lifecycles["task"]["outcomes"])
    vendors = api.request("GET", "/__mock__/").json()["vendors"]
    assert vendors["further"]["token_lifetime_seconds"] == 3600
    assert vendors["phinite"]["token_lifetime_seconds"] is None  # static keys never expire
    assert vendors["phinite"]["title"] == "Phinite"
    refused = api.request("GET", "/__mock__/vendors/phinit/operations")
    assert refused.status == 400
    assert "phinite" in refused.json()["valid"] and "phinit" in refused.json()["error"]


def test_a_runs_timeline_has_the_moments_of_its_plan_however_often_it_is_read(api, mock):
    created = mock.clock.now()
    run_id = start(api, prefer="seconds=10").json()["workflow_id"]
    mock.clock.advance(30)
    first = api.request("GET", f"/__mock__/runs/phinite/{run_id}/timeline").json()
    mock.clock.advance(30)
    again = api.request("GET", f"/__mock__/runs/phinite/{run_id}/timeline").json()
    assert first == again == [{"state": "running", "at": pytest.approx(created)},
                              {"state": "completed", "at": pytest.approx(created + 10)}]
    listed = api.request("GET", "/__mock__/runs?vendor=phinite&state=completed").json()
    assert [run["id"] for run in listed] == [run_id] and listed[0]["timeline"] == first
    assert api.request("GET", "/__mock__/runs?state=failed").json() == []


def test_a_forced_state_enters_the_timeline_at_the_moment_it_was_forced(api, mock):
    run_id = start(api).json()["workflow_id"]
    mock.clock.advance(1)
    api.request("POST", f"/__mock__/runs/phinite/{run_id}/state", json={"state": "failed"})
    changes = api.request("GET", f"/__mock__/runs/phinite/{run_id}/timeline").json()
    assert [c["state"] for c in changes] == ["running", "failed"]
    assert changes[1]["at"] == pytest.approx(mock.clock.now())


def test_unknown_names_in_run_queries_are_refused_with_the_valid_ones(api):
    bad_state = api.request("GET", "/__mock__/runs?state=done")
    assert bad_state.status == 400 and "completed" in bad_state.json()["valid"]
    assert api.request("GET", "/__mock__/runs?vendor=nope&state=failed").status == 400
    assert api.request("GET", "/__mock__/runs/phinite/nope/timeline").status == 404


def test_one_fault_rule_is_removed_by_its_place_in_the_list(api):
    for operation in ("triggerFlow", "startBackgroundTask"):
        api.request("POST", "/__mock__/faults",
                    json={"kinds": ["500"], "vendor": "phinite", "operation": operation})
    remaining = api.request("DELETE", "/__mock__/faults/0")
    assert remaining.status == 200
    assert [rule["operation"] for rule in remaining.json()] == ["startBackgroundTask"]
    assert sync(api).status == 200
    missing = api.request("DELETE", "/__mock__/faults/5")
    assert missing.status == 404 and "#5" in missing.json()["error"]


def test_queued_scenarios_are_listed_until_taken(api):
    api.request("POST", "/__mock__/scenarios", json={"vendor": "phinite", "outcome": "failed"})
    queued = api.request("GET", "/__mock__/scenarios").json()
    assert [(s["vendor"], s["outcome"], s["count"]) for s in queued] == [
        ("phinite", "failed", 1)]
    sync(api)
    assert api.request("GET", "/__mock__/scenarios").json() == []


def test_the_journal_is_filtered_by_vendor_operation_verdict_and_run(api):
    sync(api)
    sync(api, payload={"message": 42})
    first = start(api).json()["workflow_id"]
    start(api)
    status(api, first)

    def journal(query: str) -> list[dict]:
        result = api.request("GET", f"/__mock__/journal?{query}")
        assert result.status == 200, result.text
        return result.json()

    violating = journal("verdict=violates")
    assert [(e["operation"], e["status"]) for e in violating] == [("triggerFlow", 422)]
    assert len(journal("vendor=phinite&operation=startBackgroundTask")) == 2
    assert journal("vendor=further") == []
    mine = journal(f"vendor=phinite&run={first}")
    assert [e["operation"] for e in mine] == ["startBackgroundTask", "getBackgroundTaskStatus"]
    assert len(journal("limit=1")) == 1


@pytest.mark.parametrize(("query", "named"), [
    ("verdict=bad", "verdict"), ("limit=0", "limit"), ("limit=x", "limit"),
    ("operation=nope", "nope"), ("vendor=nope", "nope"), ("run=abc", "vendor"),
    ("vendr=phinite", "vendr"),  # misspelled: refused, not ignored (which would list everything)
])
def test_bad_journal_filters_are_a_400_naming_the_filter(api, query, named):
    result = api.request("GET", f"/__mock__/journal?{query}")
    assert result.status == 400
    assert named in result.text


@pytest.mark.parametrize(("query", "named"), [("stat=running", "stat"), ("limit=0", "limit")])
def test_bad_run_filters_are_a_400_naming_the_filter(api, query, named):
    result = api.request("GET", f"/__mock__/runs?{query}")
    assert result.status == 400
    assert named in result.text


def test_the_summary_counts_runs_by_state_faults_and_violations(api, mock):
    sync(api)
    sync(api, payload={"message": 42})
    start(api, prefer="seconds=100")
    api.request("POST", "/__mock__/faults", json={"kinds": ["500"], "vendor": "further"})
    counted = api.request("GET", "/__mock__/summary").json()
    assert counted["runs"] == {"total": 2, "live": 1, "by_state": {
        "flowflow": {}, "further": {}, "futurity": {}, "phinite": {"completed": 1, "running": 1}}}
    assert counted["faults"] == 1
    assert counted["journal"] == {"entries": 3, "violations": 1}


def test_a_run_listing_keeps_the_newest_when_limited(api):
    made = [start(api).json()["workflow_id"] for _ in range(3)]
    listed = api.request("GET", "/__mock__/runs?limit=2").json()
    assert [run["id"] for run in listed] == made[1:]
    assert api.request("GET", "/__mock__/runs?limit=0").status == 400
