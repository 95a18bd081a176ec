const axios = require('axios');

let data = JSON.stringify({
  "message": "start the task",
  "user_variables": {
    "key1": "value1",
    "key2": "value2"
  }
});

let config = {
  method: 'post',
  maxBodyLength: Infinity,
  url: 'https://app.phinite.ai/api/v1/ai/trigger/{workspace_id}/{trigger_id}/{environment}',
  headers: { 
    'Authorization': 'Bearer workspace_api_key', 
    'Content-Type': 'application/json'
  },
  data : data
};

axios.request(config)
.then((response) => {
  console.log(JSON.stringify(response.data));
})
.catch((error) => {
  console.log(error);
});
