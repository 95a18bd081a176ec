"""Futurity: what its CRUD engine cannot know — file bytes, signed downloads, who the caller is,
the assistant's reply to a message, and what a workflow run produces.

Chats, Vault files, workflows and dashboards themselves are stored by the generic resource
engine, as the contract's `x-resources` describes them.
"""

from __future__ import annotations

import hashlib
import random
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from contracts.extensions import Lifecycle, Resource
from mockserver.engine.behaviour import Behaviour
from mockserver.engine.call import Call, Reply
from mockserver.engine.downloads import sign
from mockserver.engine.lifecycle import Run
from mockserver.engine.names import check_settings
from mockserver.engine.results import ResultSlot
from mockserver.handlers import resources

__all__ = ["BEHAVIOUR", "RESULTS", "FuturitySettings"]

# The reference's own example user answers /whoami for the demo token.
_DOCUMENTED_USER = {"id": "user_abc123", "email": "user@example.com", "name": "John Doe",
                    "avatar_url": "https://...", "organization_id": "org_xyz789",
                    "created_at": "2024-01-01T00:00:00Z"}


class FuturitySettings(BaseModel):
    """Futurity's `vendor_settings`."""

    model_config = ConfigDict(extra="forbid")

    download_ttl_seconds: float = Field(3600, gt=0, description="How long a download URL works.")


def configure(settings: dict[str, Any]) -> FuturitySettings:
    """Parse Futurity's `vendor_settings`; a mistake stops the start."""
    check_settings("futurity", settings, FuturitySettings.model_fields)
    return FuturitySettings.model_validate(settings)


def whoami(call: Call) -> Reply:
    """The reference's own user for its placeholder token (the contract's first demo key), a
    stable made-up one for others."""
    demo = call.vendor.contract.extensions.demo_credentials
    if demo is not None and demo.keys and call.identity == f"key:{demo.keys[0]}":
        return Reply(200, {"data": dict(_DOCUMENTED_USER)})
    digest = hashlib.sha256((call.identity or "").encode()).hexdigest()
    return Reply(200, {"data": {
        "id": f"user_{digest[:8]}", "email": f"user-{digest[:8]}@example.com",
        "name": f"Mock User {digest[:4]}", "avatar_url": f"https://avatars.example.com/{digest[:8]}",
        "organization_id": f"org_{digest[8:14]}", "created_at": "2024-01-01T00:00:00Z",
    }})


def upload_file(call: Call) -> Reply:
    """Keep the uploaded bytes; the record says what they are."""
    upload = next(u for u in call.inputs.uploads if u.field == "file")
    blob = f"futurity:{hashlib.sha256(upload.data).hexdigest()}"
    call.vendor.store.put_blob(blob, upload.data)
    form = call.inputs.body or {}
    fields = {"name": form.get("name") or upload.filename or "upload",
              "type": upload.content_type, "size": len(upload.data), "blob": blob}
    if form.get("folder_id"):
        fields["folder_id"] = form["folder_id"]
    return resources.create(call, _resource(call, "vault_file"), fields)


def read_file(call: Call) -> Reply:
    """A vault file's record with a fresh signed download URL."""
    reply = resources.read(call, _resource(call, "vault_file"))
    reply.body["data"]["download_url"] = _link(call)[0]
    return reply


def download_file(call: Call) -> Reply:
    """A signed, expiring download URL for a vault file."""
    url, expires_at = _link(call)
    return Reply(200, {"data": {"url": url, "expires_at": resources.timestamp(expires_at)}})


def post_message(call: Call) -> Reply:
    """Store the user's message, and the assistant's answer right after it in the chat, in one
    atomic change of the chat: messages posted at once all stay, each followed by its answer."""
    content = str(call.inputs.body.get("content", ""))
    attachments = call.inputs.body.get("attachments") or []
    own = call.vendor.results.values() if call.vendor.results else {}
    if "assistant_reply" in own:
        reply_to = own["assistant_reply"]
        answer = reply_to(content) if callable(reply_to) else reply_to
    else:
        answer = f"Here is what I found about \u201c{content[:80]}\u201d"
        if attachments:
            answer += f", using {len(attachments)} attached file(s)"
        answer += "."

    def reply(chat: resources.Record, message: dict[str, Any]) -> None:
        chat.fields["messages"].append({
            "id": f"msg_{hashlib.sha256(str(message['id']).encode()).hexdigest()[:12]}",
            "role": "assistant", "content": answer,
            "created_at": resources.timestamp(call.now + 2),
        })

    return resources.create(call, _resource(call, "message"), then=reply)


def start_run(call: Call, run: Run, rng: random.Random) -> dict[str, Any]:
    """A run marks its workflow as last run now (atomically: a parallel update is kept)."""
    def mark(workflow: resources.Record) -> None:
        workflow.fields["last_run"] = resources.timestamp(call.now)

    workflow = resources.change(call, _resource(call, "workflow"), call.inputs.path["id"], mark)
    data: dict[str, Any] = {"workflow_name": workflow.fields.get("name", "")}
    own = call.vendor.results.values() if call.vendor.results else {}
    if "run_outputs" in own:
        outputs = own["run_outputs"]
        inputs = (call.inputs.body or {}).get("inputs") or {}
        data["own_outputs"] = outputs(inputs) if callable(outputs) else outputs
    return data


def view_run(call: Call, lifecycle: Lifecycle, run: Run, body: Any) -> Any:
    """A workflow run's times, and its outputs or error once it ends."""
    data = body["data"]
    data["started_at"] = resources.timestamp(run.created_at)
    if run.state in lifecycle.terminal and run.finished_at is not None:
        data["finished_at"] = resources.timestamp(run.finished_at)
    if run.state == lifecycle.success and "own_outputs" in run.data:
        data["outputs"] = run.data["own_outputs"]
    elif run.state == lifecycle.success:
        inputs = (run.request.get("body") or {}).get("inputs") or {}
        data["outputs"] = {"summary": f"{run.data.get('workflow_name') or 'Workflow'} processed "
                                      f"{len(inputs)} input(s)", "inputs_used": sorted(inputs)}
    if run.state == lifecycle.failure:
        data["error"] = run.reason or "The workflow failed"
    return body


def _resource(call: Call, name: str) -> Resource:
    return call.vendor.contract.extensions.resources.items[name]


def _link(call: Call) -> tuple[str, float]:
    resource = _resource(call, "vault_file")
    record = resources.find(call, resource, call.inputs.path["id"])
    settings: FuturitySettings = call.vendor.settings
    return sign(call, record.fields["blob"], record.fields["name"], record.fields["type"],
                settings.download_ttl_seconds,
                record=resources.stored_at(call, resource, record.id))


RESULTS = {
    "assistant_reply": ResultSlot("getChat", "/data/messages/0/content",
                                  "the assistant's answer to each message"),
    "run_outputs": ResultSlot("getWorkflowExecution", "/data/outputs",
                              "a completed workflow run's outputs"),
}
"""What a test or `vendor_settings` may set Futurity to answer: a value, or a function (of the
message's content, of the run's `inputs`) returning one."""

BEHAVIOUR = Behaviour(
    results=RESULTS,
    configure=configure,
    start=start_run,
    view=view_run,
    handlers={"getWhoami": whoami, "uploadVaultFile": upload_file, "getVaultFile": read_file,
              "getVaultFileDownload": download_file, "createChatMessage": post_message},
)
