"""FlowFlow.AI: workflow graphs run node by node, templates, HTTP Output, progress and errors."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from email.utils import parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jsonschema
import pytest
import requests
import yaml
from pydantic import ValidationError

import contracts
from mockserver import Mock, MockConfig
from tests.helpers import TESTS, OverSocket

TOKEN = {"Authorization": "Bearer REPLACE_API_TOKEN"}
OTHER = {"Authorization": "Bearer OTHER_API_TOKEN"}
DOCS_WORKFLOW = "67bd80ba-d392-4291-954c-587c161fabfb"
QUESTION = "Who is the president of the USA in 2023?"
DOC_EXAMPLES = TESTS / "doc_examples" / "flowflow.yaml"
MISSING = "*ERROR: Variable *{}* is empty or not existing*"


# -- a local webhook receiver and the user's own workflow definitions ---------------------------


class Receiver:
    """A webhook on 127.0.0.1: answers 200 `{"received": result}`, or 500 when the posted result
    asks it to fail; keeps every body it got."""

    def __init__(self) -> None:
        received = self.received = []

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                received.append(body)
                fail = "fail" in str(body.get("result"))
                reply = b"server error" if fail else json.dumps(
                    {"received": body.get("result")}).encode()
                self.send_response(500 if fail else 200)
                self.send_header("Content-Type", "text/plain" if fail else "application/json")
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        threading.Thread(target=self.server.serve_forever, args=(0.02,), daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    live = Receiver()
    yield live
    live.close()


def _closed_port() -> int:
    """A loopback port nothing listens on."""
    probe = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    port = probe.server_port
    probe.server_close()
    return port


TEMPLATES = {
    "id": "templates",
    "name": "Templates",
    "variables": {"team": "Support"},
    "nodes": [
        {"id": "answer", "name": "Answer question", "type": "AI - Answer question",
         "mock": [{"when_contains": ["weather", "forecast"], "result": "Sunny and 25 degrees"}]},
        {"id": "format", "name": "Format", "type": "Text - Output", "config": {"text_display": (
            "The answer is {{result}}. Asked: {{node.answer_question.run.input}}. "
            "Team: {{workflow.team}}. Ticket: {{workflow.run.ticket}}. "
            "Loud: {{node.answer_question.runs.0.result|upper}}. "
            "Missing: {{workflow.run.nope}} {{node.nobody.run.result}}")}},
        {"id": "broken", "name": "Broken", "type": "Text - Feedback",
         "config": {"text_display": "{{ result "}},
    ],
    "relations": [
        {"source": "answer", "target": "format", "condition": "answer_known"},
        {"source": "answer", "target": "broken", "condition": 1201},
    ],
}

ALL_TYPES = {
    "id": "all-types",
    "name": "Every node type",
    "nodes": [
        {"id": "in", "name": "In", "type": "Text - Input"},
        {"id": "assistant", "name": "Assistant", "type": "AI - Assistant",
         "config": {"command": "Describe the image", "auto_continue": False}},
        {"id": "never", "name": "Never", "type": "Text - Feedback"},
        {"id": "classify", "name": "Classify", "type": "AI - Classification",
         "config": {"labels": [{"label": "billing"}, {"label": "animals", "context": "cat dog"}]}},
        {"id": "generate", "name": "Generate", "type": "AI - Generate", "config": {"n_items": 3}},
        {"id": "vision", "name": "Vision", "type": "AI - Vision"},
        {"id": "boolean", "name": "Boolean", "type": "AI - Boolean",
         "config": {"criteria": "Does the input show a cat?", "pass_input_as_result": False}},
    ],
    "relations": [
        *({"source": "in", "target": target, "condition": 20100}
          for target in ("assistant", "classify", "generate", "vision", "boolean")),
        {"source": "assistant", "target": "never", "condition": 1300},
    ],
}


def webhook(workflow_id: str, endpoint: str) -> dict[str, Any]:
    return {
        "id": workflow_id,
        "name": "Webhook",
        "nodes": [
            {"id": "in", "name": "In", "type": "Text - Input", "start": True},
            {"id": "post", "name": "Post", "type": "HTTP Output", "config": {"endpoint": endpoint}},
            {"id": "delivered", "name": "Delivered", "type": "Text - Feedback",
             "config": {"text_display": "Delivered: {{result.received}}"}},
            {"id": "undelivered", "name": "Undelivered", "type": "Text - Feedback",
             "config": {"text_display": "Not delivered"}},
        ],
        "relations": [
            {"source": "in", "target": "post", "condition": 20100},
            {"source": "post", "target": "delivered", "condition": 20201},
            {"source": "post", "target": "undelivered", "condition": "http_status_not_200"},
        ],
    }


@pytest.fixture
def config(tmp_path: Path, receiver: Receiver) -> MockConfig:
    """The user's own definitions, as YAML and JSON files."""
    files = {"templates.yaml": TEMPLATES, "all-types.yml": ALL_TYPES,
             "webhook.yaml": webhook("webhook", receiver.url),
             "webhook-down.json": webhook("webhook-down", f"http://127.0.0.1:{_closed_port()}/")}
    for name, definition in files.items():
        text = json.dumps(definition) if name.endswith(".json") else yaml.safe_dump(definition)
        (tmp_path / name).write_text(text, encoding="utf-8")
    return MockConfig(vendor_settings={"flowflow": {"workflows": [
        str(tmp_path / name) for name in files]}})


# -- helpers ---------------------------------------------------------------------------------


def start(api, workflow_id: str = DOCS_WORKFLOW, body: dict[str, Any] | None = None,
          headers: dict[str, str] = TOKEN, prefer: str | None = None):
    extra = {"Prefer": prefer} if prefer else {}
    return api.request("POST", f"/flowflow/api/v1/workflow/start/{workflow_id}",
                       headers={**headers, **extra}, json=body or {"input": QUESTION})


def progress(api, progress_api_url: str, headers: dict[str, str] = TOKEN):
    return api.request("GET", urlsplit(progress_api_url).path, headers=headers)


def finished(api, mock, workflow_id: str = DOCS_WORKFLOW, body: dict[str, Any] | None = None,
             prefer: str | None = None) -> dict[str, Any]:
    """The progress body of a run, once it is over."""
    url = start(api, workflow_id, body, prefer=prefer).json()["progress_api_url"]
    mock.clock.advance(60)
    result = progress(api, url)
    assert result.status == 200
    return result.json()


def nodes_by_name(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {node["name"]: node for node in body["workflow"]["nodes"]}


def only_run(body: dict[str, Any], name: str) -> dict[str, Any]:
    runs = nodes_by_name(body)[name]["runs"]
    assert len(runs) == 1
    return runs[0]


def met_ids(node_run: dict[str, Any]) -> list[int]:
    return [condition["id"] for condition in node_run["conditions"]["met"]]


def base_url(api) -> str:
    return api.base or "http://localhost"


# -- the docs' API reference -------------------------------------------------------------------


def test_docs_curl_start_answers_with_an_absolute_progress_url(api):
    result = start(api)
    assert result.status == 202
    body = result.json()
    run = body["workflow"]["run"]
    assert body["status"] == "OK" and run["status"] == "PENDING"
    assert body["workflow"]["id"] == DOCS_WORKFLOW
    assert body["workflow"]["name"] == "AI Answer with dataset example"
    assert parsedate_to_datetime(run["created"]).tzinfo is not None  # RFC 1123, as printed
    assert body["progress_api_url"] == \
        f"{base_url(api)}/flowflow/api/v1/workflow/progress/{run['id']}"
    assert body["chat_url"].startswith(f"{base_url(api)}/flowflow/")
    assert f"{DOCS_WORKFLOW}?workflow_run_id={run['id']}" in body["chat_url"]


def test_progress_goes_from_pending_to_finished_as_node_runs_appear(api, mock):
    url = start(api).json()["progress_api_url"]
    statuses, counts, running_node_runs = [], [], []
    for _ in range(100):
        body = progress(api, url).json()
        run = body["workflow"]["run"]
        statuses.append(run["status"])
        node_runs = [r for node in body["workflow"]["nodes"] for r in node["runs"]]
        counts.append(len(node_runs))
        running_node_runs += [r for r in node_runs if r["status"] == "RUNNING"]
        assert ("results" in run) == (run["status"] == "FINISHED")
        if run["status"] == "FINISHED":
            break
        mock.clock.advance(0.2)
    assert [s for i, s in enumerate(statuses) if i == 0 or statuses[i - 1] != s] == \
        ["PENDING", "RUNNING", "FINISHED"]
    assert counts == sorted(counts) and counts[0] == 0 and counts[-1] == 2
    assert running_node_runs and all("result" not in r for r in running_node_runs)


def test_finished_progress_is_the_docs_example_for_this_run(api, mock):
    body = finished(api, mock)
    assert body["status"] == "OK"
    nodes = nodes_by_name(body)
    assert list(nodes) == ["Answer test", "Answer"]  # "No answer" did not run
    assert nodes["Answer test"]["type"] == {"display_name": "AI - Answer question", "id": 9}
    assert nodes["Answer"]["type"] == {"display_name": "Text - Feedback", "id": 3}
    answer_run = only_run(body, "Answer test")
    conditions = answer_run["conditions"]
    assert [(c["system_name"], c["id"], [t["name"] for t in c["node_targets"]])
            for c in conditions["defined"]] == \
        [("answer_known", 1200, ["Answer"]), ("answer_unknown", 1201, ["No answer"])]
    assert conditions["defined"][0]["node_targets"][0]["type"] == \
        {"display_name": "Text - Feedback", "id": "3"}
    assert conditions["defined"][0]["node_targets"][0]["relation"] == \
        {"id": "b529a3ff-7639-46b1-b602-2066dd776853"}
    known = {"display_name": "Answer is known", "id": 1200, "system_name": "answer_known"}
    assert conditions["met"] == conditions["met_and_defined"] == [known]
    sources = [{"data_item": {"id": "f26a10ef-0f50-4c84-90cf-6434f245aeae", "name": "USA.txt"},
                "data_source": {"id": "a6d27e77-a7bc-44f5-993d-52c06178b6f7",
                                "name": "Sample dataset"}}]
    assert answer_run["sources"] == sources
    assert answer_run["input"] == QUESTION
    assert answer_run["result"] == "Joe Biden is the president of the USA in 2023."
    assert answer_run["config"]["cannot_answer_allowed"] is True
    assert (answer_run["start_node"], answer_run["end_node"]) == (True, False)
    feedback = only_run(body, "Answer")
    assert feedback["result"] == "Formatted example answer: " + answer_run["result"]
    assert feedback["input"] == answer_run["result"]
    assert feedback["config"]["text_display"] == "Formatted example answer: {{result}}"
    assert feedback["conditions"]["met_and_defined"] == []
    assert feedback["sources"] == sources  # passed on, as printed
    assert (feedback["start_node"], feedback["end_node"]) == (False, True)
    assert body["workflow"]["run"]["results"] == [feedback["result"]]
    assert all(r["status"] == "FINISHED" and r["message"] == "OK"
               for r in (answer_run, feedback))


def test_a_question_the_dataset_cannot_answer_goes_to_no_answer(api, mock):
    body = finished(api, mock, "any-workflow-id", {"input": "Who is the king of France?"})
    assert body["workflow"]["id"] == "any-workflow-id"
    answer_run = only_run(body, "Answer test")
    assert answer_run["result"] == "Unknown" and met_ids(answer_run) == [1201]
    assert answer_run["sources"] == []
    assert only_run(body, "No answer")["result"] == \
        "The Sample dataset has no answer to: Who is the king of France?"


def _shape(value: Any, path: str = "") -> set[str]:
    """Every key path of a JSON value, list items as `*`."""
    paths = {path}
    if isinstance(value, dict):
        for key, item in value.items():
            paths |= _shape(item, f"{path}/{key}")
    elif isinstance(value, list):
        for item in value:
            paths |= _shape(item, f"{path}/*")
    return paths


def test_every_doc_example_has_its_shape_in_what_the_mock_returns(api, mock):
    document = contracts.load("flowflow")
    operations = {op["operationId"]: op for item in document["paths"].values()
                  for op in item.values()}
    started = start(api)
    replies = {"startWorkflow": started.json(),
               "getWorkflowProgress": finished(api, mock)}
    examples = yaml.safe_load(DOC_EXAMPLES.read_text(encoding="utf-8"))
    checked = 0
    for example in (e for e in examples if "status" in e):
        reply = replies[example["operation"]]
        schema = operations[example["operation"]]["responses"][str(example["status"])][
            "content"]["application/json"]["schema"]
        jsonschema.validate(reply, schema, cls=jsonschema.Draft202012Validator)
        assert _shape(example["value"]) <= _shape(reply), example["operation"]
        checked += 1
    assert checked == 2


def test_the_docs_python_client_flow_works(mock):
    """Start, poll `progress_api_url` until FINISHED, read `workflow.run.results`."""
    server = OverSocket(mock)
    try:
        session = requests.Session()
        session.headers["Authorization"] = "Bearer REPLACE_API_TOKEN"
        workflow = session.post(f"{server.base}/flowflow/api/v1/workflow/start/{DOCS_WORKFLOW}",
                                json={"input": QUESTION}, timeout=10).json()
        progress_api_url = workflow["progress_api_url"]
        for _ in range(30):
            if workflow["workflow"]["run"]["status"] == "FINISHED":
                break
            mock.clock.advance(1)  # instead of waiting between polls
            workflow = session.get(progress_api_url, timeout=10).json()
    finally:
        server.close()
    assert workflow.get("status") == "OK"
    assert workflow["workflow"]["run"]["results"] == \
        ["Formatted example answer: Joe Biden is the president of the USA in 2023."]


# -- routing, templates, HTTP Output -------------------------------------------------------------


@pytest.mark.parametrize(("text", "decision", "reply", "skipped"), [
    ("How much money do I need to retire?", 1101, "Sorry we do not answer money related "
     "questions", "Forward reply"),
    ("My parcel has not arrived yet", 1100, "I will forward your message to a customer service "
     "agent.", "Money reply"),
])
def test_money_example_routes_to_the_right_feedback_node(api, mock, text, decision, reply,
                                                         skipped):
    body = finished(api, mock, "money-example", {"input": text})
    nodes = nodes_by_name(body)
    boolean = only_run(body, "Is money")
    assert met_ids(boolean) == [decision] and boolean["result"] == text  # pass_input_as_result
    assert met_ids(only_run(body, "Question")) == [20100]
    assert skipped not in nodes
    assert body["workflow"]["run"]["results"] == [reply]


def test_node_start_id_starts_the_workflow_at_that_node(api, mock):
    body = finished(api, mock, "money-example",
                    {"input": "Can I get a refund of my money?", "node_start_id": "is-money"})
    assert "Question" not in nodes_by_name(body)
    assert only_run(body, "Is money")["start_node"] is True
    assert body["workflow"]["run"]["results"] == \
        ["Sorry we do not answer money related questions"]


@pytest.mark.parametrize(("ticket", "shown"), [("T-42", "T-42"),
                                                ("", MISSING.format("workflow.run.ticket"))])
def test_text_output_renders_the_documented_variables(api, mock, ticket, shown):
    body = finished(api, mock, "templates", {"input": "What is the weather in Paris?",
                                             "workflow_run_variables": {"ticket": ticket}})
    assert only_run(body, "Answer question")["result"] == "Sunny and 25 degrees"  # scripted
    formatted = only_run(body, "Format")
    assert met_ids(formatted) == [20000]
    assert formatted["result"] == (
        "The answer is Sunny and 25 degrees. Asked: What is the weather in Paris?. "
        f"Team: Support. Ticket: {shown}. Loud: SUNNY AND 25 DEGREES. "
        f"Missing: {MISSING.format('workflow.run.nope')} "
        f"{MISSING.format('node.nobody.run.result')}")


def test_a_broken_template_meets_the_error_condition(api, mock):
    body = finished(api, mock, "templates", {"input": "hello there"})
    answer = only_run(body, "Answer question")
    assert answer["result"] == "Unknown" and met_ids(answer) == [1201]
    broken = only_run(body, "Broken")
    assert met_ids(broken) == [20001] and broken["result"].startswith("Error in the template")


def test_http_output_posts_the_result_and_meets_the_200_conditions(api, mock, receiver):
    body = finished(api, mock, "webhook", {"input": "order 17 shipped"})
    assert receiver.received == [{"result": "order 17 shipped"}]
    post = only_run(body, "Post")
    assert met_ids(post) == [20201, 20200]
    assert post["result"] == {"received": "order 17 shipped"}
    assert only_run(body, "Delivered")["result"] == "Delivered: order 17 shipped"
    assert "Undelivered" not in nodes_by_name(body)


def test_http_output_meets_not_200_on_an_error_reply(api, mock, receiver):
    body = finished(api, mock, "webhook", {"input": "please fail"})
    assert receiver.received == [{"result": "please fail"}]
    post = only_run(body, "Post")
    assert met_ids(post) == [20202]
    assert post["result"] == "server error" and post["message"] == "HTTP status 500"
    assert body["workflow"]["run"]["results"] == ["Not delivered"]


def test_http_output_meets_not_200_when_the_endpoint_is_unreachable(api, mock):
    body = finished(api, mock, "webhook-down", {"input": "hello"})
    post = only_run(body, "Post")
    assert met_ids(post) == [20202] and "failed" in post["result"]
    assert body["workflow"]["run"]["results"] == ["Not delivered"]


def test_every_documented_node_type_runs(api, mock):
    image = "https://example.com/images/cat_with_sunglasses.png"
    body = finished(api, mock, "all-types", {"input": image})
    results = {name: (only_run(body, name)["result"], met_ids(only_run(body, name)))
               for name in ("In", "Classify", "Generate", "Vision", "Boolean", "Assistant")}
    assert results["In"] == (image, [20100])
    assert results["Classify"] == (["animals"], [1002])
    assert results["Generate"][1] == [1501] and len(results["Generate"][0]) == 3
    assert results["Vision"] == ("an image of cat with sunglasses", [1400])
    assert results["Boolean"] == ("true", [1101])
    assert results["Assistant"][1] == [1300]
    assistant = only_run(body, "Assistant")  # auto_continue off: waits for a human
    assert assistant["end_node"] is True and met_ids(assistant) == [1300]
    assert "Never" not in nodes_by_name(body)


def test_the_same_input_gives_the_same_run(api, mock):
    first, second = (finished(api, mock, "money-example", {"input": "money?"}) for _ in range(2))
    assert first["workflow"]["run"]["id"] != second["workflow"]["run"]["id"]

    def outcome(body: dict[str, Any]) -> list[Any]:
        return [(n["name"], r["result"], met_ids(r)) for n in body["workflow"]["nodes"]
                for r in n["runs"]]

    assert outcome(first) == outcome(second)


# -- failure, errors, loading definitions ------------------------------------------------------


def test_forced_failure_shows_the_node_runs_up_to_the_failing_one(api, mock):
    url = start(api, prefer="outcome=failed").json()["progress_api_url"]
    mock.clock.advance(60)
    body = progress(api, url).json()
    run = body["workflow"]["run"]
    assert run["status"] == "FAILED" and "results" not in run
    node_runs = [r for node in body["workflow"]["nodes"] for r in node["runs"]]
    assert [r["status"] for r in node_runs] == ["FINISHED", "FAILED"]
    assert "result" not in node_runs[-1] and node_runs[-1]["message"]


def test_unknown_node_start_id_is_a_400_in_the_error_format(api):
    result = start(api, "money-example", {"input": "hi", "node_start_id": "no-such-node"})
    assert result.status == 400
    body = result.json()
    assert body["status"] == "ERROR" and "no-such-node" in body["message"]


def test_a_start_without_input_is_a_400(api):
    result = start(api, body={"node_start_id": "x"})
    assert result.status == 400 and result.json()["status"] == "ERROR"


def test_another_tokens_run_and_an_unknown_run_are_404(api):
    url = start(api).json()["progress_api_url"]
    assert progress(api, url, headers=OTHER).status == 404
    unknown = progress(api, "/flowflow/api/v1/workflow/progress/no-such-run")
    assert unknown.status == 404 and unknown.json()["status"] == "ERROR"
    assert progress(api, url).status == 200


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong"}])
def test_bad_tokens_get_401_in_the_error_format(api, headers):
    result = start(api, headers=headers)
    assert result.status == 401
    assert result.json()["status"] == "ERROR" and result.json()["message"]


@pytest.mark.parametrize(("definition", "problem"), [
    ({**TEMPLATES, "nodes": [{"id": "a", "type": "AI - Oracle"}]}, "unknown node type"),
    ({"id": "w", "name": "w", "nodes": [{"id": "b", "type": "AI - Boolean"}]}, "config.criteria"),
    ({"id": "w", "name": "w", "nodes": [{"id": "b", "type": "Text - Input"},
                                        {"id": "c", "type": "Text - Input"}],
      "relations": [{"source": "b", "target": "c", "condition": 1101}]}, "no condition 1101"),
    ({"id": "w", "name": "w", "nodes": [{"id": "b", "type": "AI - Boolean",
                                         "config": {"criteria": "x"},
                                         "mock": [{"result": "maybe"}]}]}, "boolean_maybe"),
])
def test_a_bad_definition_file_stops_the_mock_at_startup(tmp_path, definition, problem):
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(definition), encoding="utf-8")
    with pytest.raises(ValidationError) as raised:
        Mock(MockConfig(contracts=["flowflow"],
                        vendor_settings={"flowflow": {"workflows": [str(path)]}}))
    assert str(path) in str(raised.value) and problem in str(raised.value)


@pytest.mark.parametrize(("name", "text", "problem"), [
    ("nowhere.yaml", None, "No such file"),
    ("broken.yaml", "nodes: [", "while parsing"),
    ("broken.json", "{nodes", "Expecting property name"),
    ("workflow.txt", "id: w", ".yaml, .yml or .json"),
])
def test_an_unreadable_definition_file_stops_the_mock_at_startup(tmp_path, name, text, problem):
    path = tmp_path / name
    if text is not None:
        path.write_text(text, encoding="utf-8")
    with pytest.raises(ValidationError) as raised:
        Mock(MockConfig(contracts=["flowflow"],
                        vendor_settings={"flowflow": {"workflows": [str(path)]}}))
    assert str(path) in str(raised.value) and problem in str(raised.value)
