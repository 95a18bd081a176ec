// The control API, and its refusals turned into messages a form can show next to its fields.

export const BASE = "/__mock__";

export class ApiError extends Error {
  constructor(status, message, fields = {}) {
    super(message);
    this.status = status;
    this.fields = fields; // field name -> message, from the API's validation details
  }
}

function explain(status, payload) {
  if (payload && Array.isArray(payload.details)) {
    const fields = {};
    const lines = payload.details.map((detail) => {
      const field = (detail.loc || []).filter((part) => typeof part === "string")[0] || "form";
      const message = detail.msg || "invalid";
      fields[field] = fields[field] ? `${fields[field]}; ${message}` : message;
      return `${field}: ${message}`;
    });
    return new ApiError(status, lines.join("; "), fields);
  }
  const message = (payload && (payload.error || payload.mock_error)) || `HTTP ${status}`;
  return new ApiError(status, message);
}

export async function call(method, path, body) {
  const init = { method, headers: { Accept: "application/json" } };
  // The console's reads stay out of `mockserver serve`'s access log; its actions do not.
  if (method === "GET") init.headers["X-Mock-Console"] = "refresh";
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(BASE + path, init);
  } catch (error) {
    throw new ApiError(0, "The mock is not reachable");
  }
  const text = await response.text();
  let payload = null;
  try { payload = text ? JSON.parse(text) : null; } catch (error) { payload = null; }
  if (!response.ok) throw explain(response.status, payload);
  return payload;
}

export const get = (path) => call("GET", path);
export const post = (path, body) => call("POST", path, body === undefined ? {} : body);
export const del = (path) => call("DELETE", path);
