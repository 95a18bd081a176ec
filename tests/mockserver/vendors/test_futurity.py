"""Futurity: real CRUD with paging, Vault bytes through signed URLs, chats, workflow runs."""

from __future__ import annotations

import pytest

from mockserver import MockConfig

BASE = "/futurity/v1"
ME = {"Authorization": "Bearer YOUR_TOKEN"}
OTHER = {"Authorization": "Bearer OTHER_TOKEN"}
PDF = b"%PDF-1.4\n" + bytes(range(256)) * 40


def call(api, method, path, headers=ME, **kwargs):
    return api.request(method, BASE + path, headers=headers, **kwargs)


def test_chat_create_list_page_get_delete_then_404(api):
    ids = [call(api, "POST", "/chats", json={"title": f"Chat {i}"}).json()["data"]["id"]
           for i in range(5)]
    first = call(api, "GET", "/chats?limit=2").json()
    assert [c["id"] for c in first["data"]] == ids[:2]
    assert first["pagination"] == {"total": 5, "limit": 2, "offset": 0, "hasMore": True}
    last = call(api, "GET", "/chats?limit=2&offset=4").json()
    assert [c["id"] for c in last["data"]] == ids[4:]
    assert last["pagination"]["hasMore"] is False
    detail = call(api, "GET", f"/chats/{ids[0]}").json()["data"]
    assert detail["title"] == "Chat 0" and detail["messages"] == []
    deleted = call(api, "DELETE", f"/chats/{ids[0]}")
    assert deleted.status == 204 and deleted.text == ""
    gone = call(api, "GET", f"/chats/{ids[0]}")
    assert gone.status == 404 and gone.json()["error"]["code"] == "NOT_FOUND"
    assert call(api, "GET", "/chats").json()["pagination"]["total"] == 4


def test_untitled_chat_and_archived_filter(api, mock):
    chat = call(api, "POST", "/chats", json={}).json()["data"]
    assert chat["title"] == "New chat"
    store_key = "record:futurity:chat"
    record = mock.store.get(store_key, chat["id"])
    record["fields"]["archived"] = True
    mock.store.put(store_key, chat["id"], record)
    assert call(api, "GET", "/chats").json()["data"] == []
    assert len(call(api, "GET", "/chats?archived=true").json()["data"]) == 1


def test_messages_appear_in_the_chat_with_the_assistants_answer(api):
    chat_id = call(api, "POST", "/chats", json={"title": "Q3"}).json()["data"]["id"]
    sent = call(api, "POST", f"/chats/{chat_id}/messages",
                json={"content": "What were the key findings?"})
    assert sent.status == 201 and sent.json()["data"]["role"] == "user"
    messages = call(api, "GET", f"/chats/{chat_id}").json()["data"]["messages"]
    assert [m["role"] for m in messages] == ["user", "assistant"]
    assert "key findings" in messages[1]["content"]
    assert call(api, "POST", "/chats/chat_nope/messages", json={"content": "x"}).status == 404


def test_uploaded_file_downloads_byte_identical_until_the_url_expires(api, mock):
    uploaded = call(api, "POST", "/vault/files", data={"folder_id": "folder_123"},
                    files=[("file", ("Q3-Report.pdf", PDF, "application/pdf"))])
    assert uploaded.status == 201
    file = uploaded.json()["data"]
    assert file["name"] == "Q3-Report.pdf" and file["size"] == len(PDF)
    assert file["type"] == "application/pdf" and file["folder_id"] == "folder_123"
    link = call(api, "GET", f"/vault/files/{file['id']}/download").json()["data"]
    path = link["url"].split("://", 1)[1].partition("/")[2]
    fetched = api.request("GET", "/" + path)
    assert fetched.status == 200 and fetched.content == PDF
    assert fetched.headers["Content-Type"] == "application/pdf"
    mock.clock.advance(3601)
    assert api.request("GET", "/" + path).status == 403


def test_deleting_a_file_revokes_the_download_links_issued_before(api):
    uploaded = call(api, "POST", "/vault/files",
                    files=[("file", ("secret.pdf", PDF, "application/pdf"))]).json()["data"]
    twin = call(api, "POST", "/vault/files",  # the same bytes, kept as another file
                files=[("file", ("copy.pdf", PDF, "application/pdf"))]).json()["data"]
    links = [call(api, "GET", f"/vault/files/{file['id']}/download").json()["data"]["url"]
             for file in (uploaded, uploaded, twin)]
    links.append(call(api, "GET", f"/vault/files/{uploaded['id']}").json()["data"]["download_url"])
    paths = ["/" + url.split("://", 1)[1].partition("/")[2] for url in links]
    assert all(api.request("GET", path).status == 200 for path in paths)
    assert call(api, "DELETE", f"/vault/files/{uploaded['id']}").status == 204
    revoked = [api.request("GET", path) for path in paths[:2] + paths[3:]]
    assert [answer.status for answer in revoked] == [404, 404, 404]
    assert all(PDF not in answer.content for answer in revoked)
    kept = api.request("GET", paths[2])
    assert kept.status == 200 and kept.content == PDF


def test_deleting_a_workflow_removes_its_executions(api, mock):
    workflow_id = call(api, "POST", "/workflows", json={"name": "W"}).json()["data"]["id"]
    other_id = call(api, "POST", "/workflows", json={"name": "V"}).json()["data"]["id"]
    started = [call(api, "POST", f"/workflows/{wf}/run", json={}).json()["data"]["execution_id"]
               for wf in (workflow_id, workflow_id, other_id)]
    assert call(api, "DELETE", f"/workflows/{workflow_id}").status == 204
    assert [run.id for run in mock.runs("futurity")] == started[2:]
    poll = call(api, "GET", f"/workflows/{workflow_id}/executions/{started[0]}")
    assert poll.status == 404 and poll.json()["error"]["code"] == "NOT_FOUND"
    assert call(api, "GET", f"/workflows/{other_id}/executions/{started[2]}").status == 200


def test_vault_filters_and_renamed_upload(api):
    call(api, "POST", "/vault/files", files=[("file", ("notes.txt", b"hi", "text/plain"))])
    call(api, "POST", "/vault/files", data={"name": "Budget 2024.pdf", "folder_id": "f1"},
         files=[("file", ("x.pdf", PDF, "application/pdf"))])
    names = lambda query: [f["name"] for f in call(api, "GET", f"/vault/files{query}")  # noqa: E731
                           .json()["data"]]
    assert names("") == ["notes.txt", "Budget 2024.pdf"]
    assert names("?search=budget") == ["Budget 2024.pdf"]
    assert names("?type=text/plain") == ["notes.txt"]
    assert names("?folder_id=f1") == ["Budget 2024.pdf"]
    file_id = call(api, "GET", "/vault/files?folder_id=f1").json()["data"][0]["id"]
    detail = call(api, "GET", f"/vault/files/{file_id}").json()["data"]
    assert detail["download_url"].startswith("http") and detail["shared_with"] == []
    assert call(api, "DELETE", f"/vault/files/{file_id}").status == 204
    assert call(api, "GET", f"/vault/files/{file_id}/download").status == 404


def test_workflow_crud_and_a_run_through_its_lifecycle(api, mock):
    created = call(api, "POST", "/workflows", json={
        "name": "Daily Report", "description": "Summarise", "nodes": [],
        "trigger": {"type": "schedule", "config": {"cron": "0 9 * * *"}}})
    assert created.status == 201 and created.json()["data"]["status"] == "draft"
    workflow_id = created.json()["data"]["id"]
    updated = call(api, "PUT", f"/workflows/{workflow_id}", json={"status": "active"})
    assert updated.json()["data"]["status"] == "active"
    assert updated.json()["data"]["name"] == "Daily Report"
    listed = call(api, "GET", "/workflows?status=active").json()["data"]
    assert listed[0]["trigger_type"] == "schedule" and listed[0]["last_run"] is None
    assert call(api, "GET", "/workflows?status=draft").json()["data"] == []
    run = call(api, "POST", f"/workflows/{workflow_id}/run",
               json={"inputs": {"customer_id": "cust_123"}})
    assert run.status == 202 and run.json()["data"]["status"] == "running"
    execution_id = run.json()["data"]["execution_id"]
    poll = f"/workflows/{workflow_id}/executions/{execution_id}"
    running = call(api, "GET", poll).json()["data"]
    assert running["status"] == "running" and "outputs" not in running
    mock.clock.advance(30)
    done = call(api, "GET", poll).json()["data"]
    assert done["status"] == "completed" and done["inputs"] == {"customer_id": "cust_123"}
    assert done["workflow_id"] == workflow_id and done["outputs"] and done["finished_at"]
    assert call(api, "GET", f"/workflows/{workflow_id}").json()["data"]["last_run"]
    assert call(api, "DELETE", f"/workflows/{workflow_id}").status == 204
    assert call(api, "POST", f"/workflows/{workflow_id}/run", json={}).status == 404


def test_forced_failed_run_says_why(api):
    workflow_id = call(api, "POST", "/workflows", json={"name": "W"}).json()["data"]["id"]
    run = call(api, "POST", f"/workflows/{workflow_id}/run", json={},
               headers={**ME, "Prefer": "outcome=failed, polls=1"})
    body = call(api, "GET", f"/workflows/{workflow_id}/executions/"
                            f"{run.json()['data']['execution_id']}").json()["data"]
    assert body["status"] == "failed" and body["error"] and "outputs" not in body


def test_other_users_resources_are_forbidden_and_lists_are_private(api):
    chat_id = call(api, "POST", "/chats", json={"title": "mine"}).json()["data"]["id"]
    forbidden = call(api, "GET", f"/chats/{chat_id}", headers=OTHER)
    assert forbidden.status == 403 and forbidden.json()["error"]["code"] == "FORBIDDEN"
    assert call(api, "DELETE", f"/chats/{chat_id}", headers=OTHER).status == 403
    assert call(api, "GET", "/chats", headers=OTHER).json()["data"] == []
    assert call(api, "GET", f"/chats/{chat_id}").status == 200


def test_dashboards_and_whoami(api):
    assert call(api, "GET", "/dashboards").json() == {"data": []}
    widget = {"id": "widget_1", "type": "metric", "config": {},
              "position": {"x": 0, "y": 0, "w": 2, "h": 1}}
    created = call(api, "POST", "/dashboards", json={"name": "Sales", "widgets": [widget]})
    assert created.status == 201
    dashboard_id = created.json()["data"]["id"]
    assert call(api, "GET", f"/dashboards/{dashboard_id}").json()["data"]["widgets"] == [widget]
    assert [d["name"] for d in call(api, "GET", "/dashboards").json()["data"]] == ["Sales"]
    me = call(api, "GET", "/whoami").json()["data"]
    assert me["email"] == "user@example.com"
    assert call(api, "GET", "/whoami", headers=OTHER).json()["data"]["id"] != me["id"]


@pytest.mark.parametrize(("method", "path", "kwargs", "status", "code"), [
    ("GET", "/chats", {"headers": {}}, 401, "UNAUTHORIZED"),
    ("POST", "/chats", {"json": {"title": 5}}, 400, "VALIDATION_ERROR"),
    ("GET", "/chats?limit=0", {}, 400, "VALIDATION_ERROR"),
    ("GET", "/chats?limit=many", {}, 400, "VALIDATION_ERROR"),
    ("POST", "/chats", {"data": "title=x", "headers": {**ME, "Content-Type": "text/plain"}},
     415, "VALIDATION_ERROR"),
    ("POST", "/workflows", {"json": {"description": "no name"}}, 400, "VALIDATION_ERROR"),
    ("PUT", "/workflows/wf_nope", {"json": {"name": "x"}}, 404, "NOT_FOUND"),
    ("GET", "/dashboards/dash_nope", {}, 404, "NOT_FOUND"),
])
def test_errors_carry_the_documented_codes(api, method, path, kwargs, status, code):
    kwargs = dict(kwargs)
    headers = kwargs.pop("headers", ME)
    result = call(api, method, path, headers=headers, **kwargs)
    assert result.status == status and result.json()["error"]["code"] == code
    assert result.json()["error"]["message"]


@pytest.mark.parametrize("config", [MockConfig(faults={"rate": 1.0, "kinds": ["429"]})])
def test_rate_limiting_is_available_as_a_fault(api, config):
    limited = call(api, "GET", "/chats")
    assert limited.status == 429 and limited.json()["error"]["code"] == "RATE_LIMITED"
    assert limited.headers["Retry-After"] == "1"
