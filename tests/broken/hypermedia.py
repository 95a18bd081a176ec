"""Breakages of the URLs an API hands out: a poll URL that addresses another run, a download URL
that serves another file."""

from __future__ import annotations

import re

from tests.broken.breakages import Breakage, Call, Reply

FLOWFLOW_START = r"/api/v1/workflow/start/[^/]+"
FUTURITY_DOWNLOAD = r"/vault/files/([^/]+)/download"


def _progress_url_of_another_run(call: Call) -> Reply:
    """The start answers with the progress URL of the previous run (or of a twin it starts)."""
    reply = call.forward()
    body = reply.json
    if not (call.matches("POST", FLOWFLOW_START) and reply.status == 202 and body):
        return reply
    runs: list[str] = call.state.setdefault("runs", [])
    other = runs[-1] if runs else None
    if other is None:
        twin = call.send(call.method, call.path, call.query, call.headers, call.body).json
        other = twin["workflow"]["run"]["id"] if twin else None
    runs.append(body["workflow"]["run"]["id"])
    if other is not None:
        body["progress_api_url"] = re.sub(r"[^/]+$", other, body["progress_api_url"])
        reply.set_json(body)
    return reply


def _download_of_another_file(call: Call) -> Reply:
    """The download link of the tenant's first other file, where there is one."""
    found = call.matches("GET", FUTURITY_DOWNLOAD)
    if not found:
        return call.forward()
    auth = {"Authorization": call.headers.get("Authorization", "")}
    listed = call.inner("GET", "/vault/files", auth, query="limit=100").json or {}
    others = [item["id"] for item in listed.get("data", []) if item["id"] != found.group(1)]
    if not others:
        return call.forward()
    return call.inner("GET", f"/vault/files/{others[0]}/download", auth)


HYPERMEDIA = [
    Breakage("flowflow-progress-url-other-run", "flowflow", "hypermedia",
             "the start's `progress_api_url` polls another run than `workflow.run.id` names",
             _progress_url_of_another_run),
    Breakage("futurity-download-other-file", "futurity", "hypermedia",
             "a file's download URL serves another file of the same tenant",
             _download_of_another_file),
]
