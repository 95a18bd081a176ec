"""
Further AI API — End-to-end quickstart
"""
import time
import requests

# ── Configuration ────────────────────────────────────────────
CLIENT_ID = "YOUR_CLIENT_ID"
CLIENT_SECRET = "YOUR_CLIENT_SECRET"
WORKFLOW_ID = "YOUR_WORKFLOW_ID"
FILE_PATH = "policy.pdf"
BASE_URL = "https://api.further.ai"
POLL_INTERVAL = 5 # seconds
MAX_WAIT = 600 # seconds

# ── 1. Authenticate ─────────────────────────────────────────
print("Generating access token...")
token_resp = requests.post(
    f"{BASE_URL}/api/v1/oauth2/access_token",
    json={"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}
)
token_resp.raise_for_status()
access_token = token_resp.json()["access_token"]
print(f" Token obtained (expires in 60 min)")

headers = {"Authorization": f"Bearer {access_token}"}

# ── 2. Trigger Execution ────────────────────────────────────
print(f"Triggering execution for workflow {WORKFLOW_ID}...")
with open(FILE_PATH, "rb") as f:
    exec_resp = requests.post(
        f"{BASE_URL}/api/v1/workflow-builder/workflows/{WORKFLOW_ID}/executions",
        headers=headers,
        files=[("files", (FILE_PATH, f, "application/pdf"))],
    )
exec_resp.raise_for_status()
execution_id = exec_resp.json()["workflow_execution_id"]
print(f" Execution ID: {execution_id}")

# ── 3. Poll for Results ─────────────────────────────────────
print("Polling for results...")
status_url = f"{BASE_URL}/api/v1/workflow-builder/workflows/{WORKFLOW_ID}/executions/{execution_id}"
elapsed = 0

while elapsed < MAX_WAIT:
    poll_resp = requests.get(status_url, headers=headers)
    poll_resp.raise_for_status()
    result = poll_resp.json()
    status = result["status"]
    print(f" [{elapsed}s] Status: {status}")

    if status in ("completed", "failed"):
        break

    time.sleep(POLL_INTERVAL)
    elapsed += POLL_INTERVAL

# ── 4. Process Results ──────────────────────────────────────
if status == "completed":
    print("\nExecution completed successfully!\n")
    for step in result.get("steps", []):
        print(f"Step: {step['step_name']}")
        print(f" Type: {step.get('step_type', 'N/A')}")
        print(f" Data: {step.get('data', {})}")
        print()
elif status == "failed":
    print(f"\nExecution failed: {result.get('error', 'Unknown error')}")
else:
    print(f"\nTimed out after {MAX_WAIT}s. Last status: {status}")
