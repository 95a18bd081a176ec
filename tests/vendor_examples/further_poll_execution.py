import time
import requests

def poll_execution(
    workflow_id: str,
    execution_id: str,
    access_token: str,
    initial_interval: int = 5,
    max_interval: int = 30,
    max_wait: int = 600
) -> dict:
    """
    Poll a workflow execution until it completes or fails.

    Uses exponential backoff starting at initial_interval seconds,
    capping at max_interval seconds.
    """
    base_url = "https://api.further.ai"
    url = f"{base_url}/api/v1/workflow-builder/workflows/{workflow_id}/executions/{execution_id}"
    headers = {"Authorization": f"Bearer {access_token}"}

    elapsed = 0
    interval = initial_interval

    while elapsed < max_wait:
        response = requests.get(url, headers=headers)
        response.raise_for_status()
        result = response.json()

        status = result["status"]
        print(f"[{elapsed}s] Status: {status}")

        if status == "completed":
            return result
        if status == "failed":
            return result

        time.sleep(interval)
        elapsed += interval
        interval = min(interval * 1.5, max_interval)

    raise TimeoutError(f"Execution did not complete within {max_wait} seconds")


# Usage
result = poll_execution(
    workflow_id="YOUR_WORKFLOW_ID",
    execution_id="YOUR_EXECUTION_ID",
    access_token=access_token
)

if result["status"] == "completed":
    for step in result["steps"]:
        print(f"{step['step_name']}: {step['data']}")
