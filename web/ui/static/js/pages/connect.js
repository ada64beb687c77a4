import { session } from "../api.js";
import { h, copyButton, errorBox } from "../dom.js";
import { allTables, exampleRecord } from "./tables.js";

// Connect: how to reach this zbemu (workspace URL, Zerobus endpoint,
// credentials) and ready-to-paste snippets per table.

const LANGS = ["curl", "Python requests", "Python SDK", "TypeScript SDK", "Java SDK", "Go SDK", "Rust SDK"];

export default async function connect(root) {
  const dev = session.dev;
  const url = (dev && dev.workspace_url) || location.origin;
  const clientID = dev ? dev.client_id : "<client id>";
  const secret = dev ? dev.client_secret : "<client secret>";
  const token = dev ? dev.token : "<token>";
  const tls = url.startsWith("https:");
  const kv = (label, value, secretValue) => [h("dt", label), h("dd", h("code", { dataset: { field: label } }, secretValue ? "•".repeat(12) : value), copyButton(value))];
  root.append(
    h("div.page-head", h("h1", "Connect"), h("span.sub", "Point the Zerobus SDKs, REST clients and SQL tools at this zbemu.")),
    h("div.grid2",
      h("section.panel",
        h("h2", "Endpoints"),
        h("dl.kv", kv("Workspace URL", url), kv("Zerobus endpoint", url),
          kv("Statement API", url + "/api/2.0/sql/statements"), kv("Unity Catalog API", url + "/api/2.1/unity-catalog"))),
      h("section.panel",
        h("h2", dev ? "Dev service principal" : "Credentials"),
        dev
          ? h("dl.kv", kv("Client id", clientID), kv("Client secret", secret, true), kv("Personal access token", token, true))
          : h("p.muted", "You signed in with your own token. Use your principal's client id and secret (zbemu principal create) or a token (zbemu token create) in the snippets."),
        h("h3", "TLS"),
        tls
          ? h("p", "zbemu serves TLS with its own CA. Trust it before connecting: ", h("code", "export SSL_CERT_FILE=" + ((dev && dev.ca_file) || "<data dir>/tls/ca.pem")))
          : h("p.muted", "Plain HTTP and gRPC on one port. Start zbemu with --tls for HTTPS (the SDKs' default), then export SSL_CERT_FILE as the banner says."))),
  );
  const snippets = h("section.panel", h("h2", "Send records"), h("p.muted", "Loading tables…"));
  root.append(snippets);
  let tables;
  try {
    tables = await allTables();
  } catch (e) {
    snippets.replaceChildren(h("h2", "Send records"), errorBox(e));
    return;
  }
  if (!tables.length) {
    snippets.replaceChildren(h("h2", "Send records"), h("p.muted", "No table yet. Create one in the SQL editor, e.g. "),
      h("pre.snippet", "CREATE TABLE main.default.events (device_id STRING NOT NULL, ts TIMESTAMP NOT NULL, temp DOUBLE)"));
    return;
  }
  const pick = h("select#snippet-table", { "aria-label": "Table" }, tables.map((t) => h("option", { value: t.full_name }, t.full_name)));
  let lang = LANGS[0];
  const tabs = h("div.tabs", LANGS.map((l) => h("button", { type: "button", class: l === lang ? "active" : null, dataset: { lang: l } }, l)));
  const body = h("div.snip-wrap");
  const recordView = h("pre.snippet#example-record");
  const show = () => {
    const t = tables.find((x) => x.full_name === pick.value);
    const rec = exampleRecord(t.columns || []);
    recordView.textContent = JSON.stringify(rec, null, 2);
    const text = snippet(lang, { url, table: t.full_name, clientID, secret, token, rec });
    body.replaceChildren(h("pre.snippet#snippet-code", { dataset: { lang } }, text), copyButton(text));
    for (const b of tabs.children) b.classList.toggle("active", b.dataset.lang === lang);
  };
  tabs.addEventListener("click", (e) => {
    const b = e.target.closest("button");
    if (b) { lang = b.dataset.lang; show(); }
  });
  pick.addEventListener("change", show);
  snippets.replaceChildren(
    h("div.row", h("h2", "Send records to"), pick),
    h("p.muted", "An example record built from the table's columns (DATE as days and TIMESTAMP as microseconds since 1970, DECIMAL as a string):"),
    recordView, h("h3", "Snippet"), tabs, body);
  show();
}

// snippet is the code that sends one example record with lang.
export function snippet(lang, { url, table, clientID, secret, token, rec }) {
  const json = JSON.stringify(rec);
  const py = pyLiteral(rec);
  switch (lang) {
    case "curl":
      return `curl -s -H "Authorization: Bearer ${token}" -H "Content-Type: application/json" \\
  ${url}/zerobus/v1/tables/${table}/insert \\
  -d '[${json.replaceAll("'", "'\\''")}]'`;
    case "Python requests":
      return `import requests

r = requests.post("${url}/zerobus/v1/tables/${table}/insert",
                  headers={"Authorization": "Bearer ${token}"},
                  json=[${py}])
r.raise_for_status()`;
    case "Python SDK":
      return `# pip install databricks-zerobus-ingest-sdk
from zerobus.sdk.sync import ZerobusSdk
from zerobus.sdk.shared import RecordType, StreamConfigurationOptions, TableProperties

sdk = ZerobusSdk("${url}", "${url}")
stream = sdk.create_stream("${clientID}", "${secret}", TableProperties("${table}"),
                           StreamConfigurationOptions(record_type=RecordType.JSON))
offset = stream.ingest_record_offset(${py})
stream.wait_for_offset(offset)
stream.close()`;
    case "TypeScript SDK":
      return `// npm install @databricks/zerobus-ingest-sdk
import { ZerobusSdk, RecordType } from "@databricks/zerobus-ingest-sdk";

const sdk = new ZerobusSdk("${url}", "${url}");
const stream = await sdk.createStream({ tableName: "${table}" }, "${clientID}", "${secret}",
                                      { recordType: RecordType.Json });
await stream.ingestRecordOffset(${json});
await stream.flush();
await stream.close();`;
    case "Java SDK":
      return `// com.databricks:zerobus-ingest-sdk (see its README for the JSON stream API of your version)
ZerobusSdk sdk = new ZerobusSdk("${url}", "${url}");
ZerobusJsonStream stream = sdk.createJsonStream("${table}", "${clientID}", "${secret}").join();
stream.ingestRecordOffset(${javaString(json)});
stream.flush();
stream.close();`;
    case "Go SDK":
      return `// go get github.com/databricks/zerobus-sdk/go
sdk, err := zerobus.NewZerobusSdk("${url}", "${url}")
if err != nil { log.Fatal(err) }
defer sdk.Free()
options := zerobus.DefaultStreamConfigurationOptions()
options.RecordType = zerobus.RecordTypeJson
stream, err := sdk.CreateStream(zerobus.TableProperties{TableName: "${table}"},
	"${clientID}", "${secret}", options)
if err != nil { log.Fatal(err) }
defer stream.Close()
if _, err := stream.IngestRecordOffset(\`${json}\`); err != nil { log.Fatal(err) }
stream.Flush()`;
    case "Rust SDK":
      return `// cargo add databricks-zerobus-ingest-sdk
use databricks_zerobus_ingest_sdk::{databricks::zerobus::RecordType, StreamConfigurationOptions, TableProperties, ZerobusSdk};

let sdk = ZerobusSdk::new("${url}".to_string(), "${url}".to_string())?;
let table = TableProperties { table_name: "${table}".to_string(), descriptor_proto: None };
let options = StreamConfigurationOptions { record_type: RecordType::Json, ..Default::default() };
let mut stream = sdk.create_stream(table, "${clientID}".to_string(), "${secret}".to_string(), Some(options)).await?;
stream.ingest_record(r#"${json}"#.to_string()).await?.await?;
stream.close().await?;`;
  }
  return "";
}

// pyLiteral writes a JSON value as a Python literal.
function pyLiteral(v) {
  if (v === null) return "None";
  if (v === true) return "True";
  if (v === false) return "False";
  if (Array.isArray(v)) return "[" + v.map(pyLiteral).join(", ") + "]";
  if (typeof v === "object") return "{" + Object.entries(v).map(([k, x]) => JSON.stringify(k) + ": " + pyLiteral(x)).join(", ") + "}";
  return JSON.stringify(v);
}

function javaString(s) {
  return JSON.stringify(s);
}
