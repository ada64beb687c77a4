// Every call the UI makes goes through here: public zbemu APIs with the
// bearer token of this tab. The token comes from the dev session (only on
// loopback, see GET /zbemu/v1/ui/session) or from the user, and is kept in
// sessionStorage, never in localStorage or a cookie.

const TOKEN_KEY = "zbemu.token";

export const session = { token: null, dev: null, whoami: "" };

export class APIError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

// signIn resolves once a token is known: the stored one, the dev session's,
// or one the user types into the sign-in dialog.
export async function signIn(why) {
  session.token = sessionStorage.getItem(TOKEN_KEY);
  if (!session.token && !why) {
    const r = await fetch("/zbemu/v1/ui/session", { headers: { "X-Zbemu-UI": "1" } });
    const body = await r.json().catch(() => ({}));
    if (r.ok && body.token) {
      session.dev = body;
      session.token = body.token;
      session.whoami = body.client_id;
      sessionStorage.setItem(TOKEN_KEY, body.token);
      sessionStorage.setItem(TOKEN_KEY + ".dev", JSON.stringify(body));
      return;
    }
    why = body.message || "Sign in with a token.";
  }
  if (session.token) {
    const dev = sessionStorage.getItem(TOKEN_KEY + ".dev");
    if (dev) { session.dev = JSON.parse(dev); session.whoami = session.dev.client_id; }
    return;
  }
  session.token = await askToken(why);
  sessionStorage.setItem(TOKEN_KEY, session.token);
}

export function signOut() {
  sessionStorage.removeItem(TOKEN_KEY);
  sessionStorage.removeItem(TOKEN_KEY + ".dev");
  session.token = null;
  session.dev = null;
}

function askToken(why) {
  const dlg = document.getElementById("login");
  document.getElementById("login-why").textContent = why || "";
  const input = document.getElementById("login-token");
  input.value = "";
  dlg.showModal();
  return new Promise((resolve) => {
    dlg.addEventListener("close", function onClose() {
      const v = input.value.trim();
      if (!v) { dlg.showModal(); return; }
      dlg.removeEventListener("close", onClose);
      resolve(v);
    });
  });
}

function headers(extra) {
  return Object.assign({ Authorization: "Bearer " + session.token }, extra || {});
}

// api calls a JSON API and returns the parsed body; failures throw APIError
// with the Databricks error_code and message. A 401 forgets the token and
// asks for another.
export async function api(method, path, body, opts = {}) {
  const init = { method, headers: headers(body ? { "Content-Type": "application/json" } : {}), signal: opts.signal };
  if (body) init.body = JSON.stringify(body);
  const r = await fetch(path, init);
  const text = await r.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch { data = null; }
  if (r.status === 401 && !opts.noRetry) {
    signOut();
    await signIn((data && data.message) || "The token was refused.");
    return api(method, path, body, Object.assign({}, opts, { noRetry: true }));
  }
  if (!r.ok) {
    throw new APIError(r.status, (data && data.error_code) || "HTTP_" + r.status, (data && data.message) || text || r.statusText);
  }
  return opts.text ? text : data;
}

// fetchBlob downloads an authorized document (the table's JSON Schema or
// .proto) and saves it under name.
export async function download(path, name) {
  const r = await fetch(path, { headers: headers() });
  if (!r.ok) {
    const data = await r.json().catch(() => ({}));
    throw new APIError(r.status, data.error_code || "HTTP_" + r.status, data.message || r.statusText);
  }
  const url = URL.createObjectURL(await r.blob());
  const a = document.createElement("a");
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

// Statement runs SQL through the Statement Execution API asynchronously
// (wait_timeout 0s, then polling) so that it can be canceled.
export class Statement {
  constructor(sql, params) {
    this.sql = sql;
    this.params = params || [];
    this.id = null;
    this.canceled = false;
  }

  async run() {
    const req = { statement: this.sql, warehouse_id: "zbemu", wait_timeout: "0s", format: "JSON_ARRAY", disposition: "INLINE" };
    if (this.params.length) req.parameters = this.params;
    let r = await api("POST", "/api/2.0/sql/statements", req);
    this.id = r.statement_id;
    if (this.canceled) await this.cancel(); // canceled before the id was known
    let delay = 20;
    while (r.status.state === "PENDING" || r.status.state === "RUNNING") {
      await new Promise((ok) => setTimeout(ok, delay));
      delay = Math.min(delay * 2, 500);
      r = await api("GET", "/api/2.0/sql/statements/" + encodeURIComponent(this.id));
    }
    if (r.status.state === "CANCELED") throw new APIError(0, "CANCELLED", "The statement was canceled.");
    if (r.status.state !== "SUCCEEDED") {
      const e = r.status.error || {};
      throw new APIError(0, e.error_code || r.status.state, e.message || "The statement " + r.status.state.toLowerCase() + ".");
    }
    const columns = (r.manifest && r.manifest.schema.columns) || [];
    let rows = (r.result && r.result.data_array) || [];
    const chunks = (r.manifest && r.manifest.total_chunk_count) || 1;
    for (let i = 1; i < chunks; i++) {
      const c = await api("GET", `/api/2.0/sql/statements/${encodeURIComponent(this.id)}/result/chunks/${i}`);
      rows = rows.concat(c.data_array || []);
    }
    return { id: this.id, columns, rows, truncated: !!(r.manifest && r.manifest.truncated) };
  }

  async cancel() {
    this.canceled = true;
    if (this.id) await api("POST", `/api/2.0/sql/statements/${encodeURIComponent(this.id)}/cancel`, {});
  }
}

// sql runs one statement and returns {columns, rows}.
export function sql(text, params) {
  return new Statement(text, params).run();
}

// param is a named parameter of a statement (:name in its text).
export function param(name, value, type) {
  return { name, value, type: type || "STRING" };
}

// liveStats reads GET /zbemu/v1/stats/stream (server-sent events) with the
// bearer token, which EventSource cannot send, and calls onEvent(name, data)
// per event until signal aborts. It reconnects after a dropped connection.
export async function liveStats(onEvent, signal) {
  while (!signal.aborted) {
    try {
      const r = await fetch("/zbemu/v1/stats/stream", { headers: headers(), signal });
      if (!r.ok) {
        const data = await r.json().catch(() => ({}));
        onEvent("error", { error_code: data.error_code || "HTTP_" + r.status, message: data.message || r.statusText });
        if (r.status === 401 || r.status === 403) return;
      } else {
        const reader = r.body.pipeThrough(new TextDecoderStream()).getReader();
        let buf = "";
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buf += value;
          let i;
          while ((i = buf.indexOf("\n\n")) >= 0) {
            const block = buf.slice(0, i);
            buf = buf.slice(i + 2);
            let name = "message", data = "";
            for (const line of block.split("\n")) {
              if (line.startsWith("event: ")) name = line.slice(7);
              else if (line.startsWith("data: ")) data += line.slice(6);
            }
            onEvent(name, JSON.parse(data));
          }
        }
      }
    } catch (e) {
      if (signal.aborted) return;
    }
    await new Promise((ok) => setTimeout(ok, 2000));
  }
}

// quoteName backquotes a catalog, schema or table name for SQL.
export function quoteName(...parts) {
  return parts.map((p) => "`" + String(p).replaceAll("`", "``") + "`").join(".");
}
