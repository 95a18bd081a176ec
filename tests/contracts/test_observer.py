"""The rules across exchanges, fed hand-written exchanges: who made a run or a record, what a
client id's secret is, what was deleted."""

from __future__ import annotations

import contracts
from contracts.observer import MemoryState, Observer, Seen


def further() -> Observer:
    return Observer(contracts.load("further"), contracts.extensions("further"), MemoryState())


def token(observer: Observer, client: str, secret: str, issued: str) -> list[tuple[str, str]]:
    return observer.observe(Seen("createAccessToken", 200, {}, {
        "body": {"client_id": client, "client_secret": secret}},
        {"access_token": issued, "token_type": "Bearer", "expires_in": 3600}))


def test_a_run_is_read_by_the_client_that_made_it_only():
    observer = further()
    token(observer, "a", "secret-a", "token-a")
    token(observer, "b", "secret-b", "token-b")
    created = Seen("triggerWorkflowExecution", 202, {"workflow_id": "wf"},
                   {"path": {"workflow_id": "wf"}, "body": {}},
                   {"workflow_execution_id": "e1", "status": "running"}, "Bearer token-a")
    assert observer.observe(created) == []
    body = {"workflow_id": "wf", "workflow_execution_id": "e1", "status": "running"}
    params = {"workflow_id": "wf", "execution_id": "e1"}
    mine = Seen("getWorkflowExecution", 200, params, {}, body, "Bearer token-a")
    theirs = Seen("getWorkflowExecution", 200, params, {}, body, "Bearer token-b")
    assert observer.observe(mine) == []
    assert observer.observe(theirs) == [
        ("lifecycle", "run e1 was created by another client, yet this one may read it")]


def test_a_client_id_has_one_secret():
    observer = further()
    assert token(observer, "a", "secret-a", "t1") == []
    assert token(observer, "a", "secret-a", "t2") == []
    assert token(observer, "a", "guess", "t3") == [
        ("auth", "the token endpoint accepted two different secrets for client 'a'")]


def test_a_deleted_record_stays_gone_and_other_tenants_never_see_it():
    observer = Observer(contracts.load("futurity"), contracts.extensions("futurity"),
                        MemoryState())
    me, other = "Bearer YOUR_TOKEN", "Bearer OTHER_TOKEN"
    chat = {"data": {"id": "chat_1", "title": "t"}}
    assert observer.observe(Seen("createChat", 201, {}, {}, chat, me)) == []
    assert observer.observe(Seen("getChat", 200, {"id": "chat_1"}, {}, chat, me)) == []
    assert observer.observe(Seen("getChat", 200, {"id": "chat_1"}, {}, chat, other)) == [
        ("tenants", "chat chat_1 belongs to another client, yet this read succeeded")]
    assert observer.observe(Seen("deleteChat", 204, {"id": "chat_1"}, {}, None, me)) == []
    assert observer.observe(Seen("getChat", 200, {"id": "chat_1"}, {}, chat, me)) == [
        ("resources", "chat chat_1 was deleted, yet this read succeeded")]
    assert observer.observe(Seen("getChat", 404, {"id": "chat_1"}, {}, None, me)) == []
