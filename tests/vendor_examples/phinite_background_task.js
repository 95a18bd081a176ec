const axios = require('axios');

async function runBackgroundTask() {
  // Start the flow
  const startData = JSON.stringify({
    "message": "start the task",
    "user_variables": {
      "key1": "value1",
      "key2": "value2"
    }
  });

  const startConfig = {
    method: 'post',
    maxBodyLength: Infinity,
    url: 'https://app.phinite.ai/api/v1/ai/trigger/start/{workspace_id}/{trigger_id}/{environment}',
    headers: { 
      'Authorization': 'Bearer workspace_api_key', 
      'Content-Type': 'application/json'
    },
    data: startData
  };

  const startResponse = await axios.request(startConfig);
  const workflowId = startResponse.data.workflow_id;
  console.log('Workflow started:', workflowId);

  // Poll for status
  const statusUrl = `https://app.phinite.ai/api/v1/ai/trigger/status/{workspace_id}/${workflowId}`;
  
  while (true) {
    const statusResponse = await axios.get(statusUrl, {
      headers: { 'Authorization': 'Bearer workspace_api_key' }
    });
    
    const status = statusResponse.data.status;
    console.log(`Status: ${status}, Logs: ${statusResponse.data.logs.length}`);
    
    if (status === 'completed' || status === 'failed') {
      console.log('Final result:', statusResponse.data);
      break;
    }
    
    await new Promise(resolve => setTimeout(resolve, 5000)); // Wait 5 seconds
  }
}

runBackgroundTask();
