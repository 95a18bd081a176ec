"""Screenshots of the QA console with some traffic in it, for the README (`docs/console.png`).

Starts `mockserver serve` on a free loopback port in a temporary folder, sends a few client
requests (runs that finish, fail and wait, a 429 fault on a poll, a contract-breaking request),
then lets Debian's Chromium photograph each page:

    .venv/bin/python scripts/console_screenshot.py [OUT_DIR]   # default: a temporary folder

It prints each file written with its size; the README's `docs/console.png` is its `runs.png`.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import requests
from playwright.sync_api import sync_playwright

ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
PHINITE = {"Authorization": "Bearer workspace_api_key"}
START = "/phinite/api/v1/ai/trigger/start/ws-1/tr-1/DEV"
STATUS = "/phinite/api/v1/ai/trigger/status/ws-1/{}"
EXECUTIONS = "/further/api/v1/workflow-builder/workflows/wf-claims/executions"
PDF = b"%PDF-1.4\n1 0 obj << /Type /Page >> endobj\n%%EOF"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def traffic(base: str) -> None:
    """What a client under test might have done in its first minute."""
    def post(path: str, **kwargs: Any) -> requests.Response:
        return requests.post(base + path, timeout=5, **kwargs)

    token = post("/further/api/v1/oauth2/access_token", json={
        "client_id": "YOUR_CLIENT_ID", "client_secret": "YOUR_CLIENT_SECRET"}).json()
    further = {"Authorization": f"Bearer {token['access_token']}"}
    files = [("files", ("policy.pdf", PDF, "application/pdf"))]
    post(EXECUTIONS, headers={**further, "Prefer": "seconds=20"}, files=files)
    post("/__mock__/faults", json={"kinds": ["429"], "vendor": "phinite",
                                   "operation": "getBackgroundTaskStatus", "after": 2,
                                   "times": 1, "retry_after": 2})
    polled = post(START, headers={**PHINITE, "Prefer": "polls=4"},
                  json={"message": "summarise", "user_variables": {"region": "EU"}})
    for _ in range(5):
        requests.get(base + STATUS.format(polled.json()["workflow_id"]), headers=PHINITE,
                     timeout=5)
    failing = post(START, headers={**PHINITE, "Prefer": "outcome=failed, seconds=3"},
                   json={"message": "classify"})
    requests.get(base + STATUS.format(failing.json()["workflow_id"]), headers=PHINITE, timeout=5)
    post(START, headers=PHINITE, json={"message": 42})
    post(START, headers={**PHINITE, "Prefer": "seconds=600"}, json={"message": "wait"})
    post("/__mock__/clock/advance", json={"seconds": 5})
    post(EXECUTIONS, headers=further, files=files)


def main() -> None:
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(tempfile.mkdtemp())
    out.mkdir(parents=True, exist_ok=True)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory() as folder:
        server = subprocess.Popen([sys.executable, "-m", "mockserver", "serve", "--port",
                                   str(port), "--store", "memory"], cwd=folder,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            for _ in range(100):
                try:
                    requests.get(f"{base}/__mock__/clock", timeout=1)
                    break
                except requests.ConnectionError:
                    time.sleep(0.1)
            traffic(base)
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path="/usr/bin/chromium",
                                                     args=ARGS)
                page = browser.new_page(viewport={"width": 1280, "height": 760})
                for name in ("overview", "runs", "faults", "journal"):
                    page.goto(f"{base}/__mock__/ui#{name}")
                    page.wait_for_timeout(800)
                    page.screenshot(path=out / f"{name}.png")
                page.locator("#journal-table tr.violation").first.click()
                page.wait_for_timeout(300)
                page.screenshot(path=out / "journal-detail.png")
                browser.close()
        finally:
            server.terminate()
            server.wait(timeout=30)
    for path in sorted(out.glob("*.png")):
        print(f"{path}  {path.stat().st_size / 1024:.0f} KB")


if __name__ == "__main__":
    main()
