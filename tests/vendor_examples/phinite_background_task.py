import requests
import json
import time

# Start the flow
url_start = "https://app.phinite.ai/api/v1/ai/trigger/start/{workspace_id}/{trigger_id}/{environment}"

payload = json.dumps({
  "message": "start the task",
  "user_variables": {
    "key1": "value1",
    "key2": "value2"
  }
})

headers = {
  'Authorization': 'Bearer workspace_api_key',
  'Content-Type': 'application/json'
}

response = requests.post(url_start, headers=headers, data=payload)
result = response.json()
workflow_id = result['workflow_id']

# Poll for status
url_status = f"https://app.phinite.ai/api/v1/ai/trigger/status/{{workspace_id}}/{workflow_id}"

while True:
    status_response = requests.get(url_status, headers=headers)
    status_data = status_response.json()
    
    if status_data['status'] in ['completed', 'failed']:
        print(status_data)
        break
    
    print(f"Status: {status_data['status']}, Logs: {len(status_data['logs'])}")
    time.sleep(5)  # Poll every 5 seconds
