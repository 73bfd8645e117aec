/**
 * `GET /api/v2/docs`: an interactive API reference rendered in the browser from
 * `/api/v2/openapi.json` — operations by tag, their scopes, parameters, body schema and byte
 * limit, responses, and a form that sends the request with your key and shows the answer.
 *
 * One self-contained page (inline script and style, nothing else fetched but the document and
 * the API itself), so it works with no network: Scalar's Hono middleware loads its UI from a
 * CDN, and its standalone bundle (4.3 MB, in a package that brings ~270 others) cannot be
 * served from this Worker without a wrangler module rule or a vendored copy. The page's
 * Content-Security-Policy allows only these exact inline blocks (by hash) and same-origin
 * requests; the document's text is put in the page as text nodes, never as markup.
 */

const STYLE = `
:root { color-scheme: light dark; --fg: #1d1d1f; --bg: #fff; --muted: #6e6e73; --line: #d2d2d7; --panel: #f5f5f7; --accent: #e36002; }
@media (prefers-color-scheme: dark) { :root { --fg: #f5f5f7; --bg: #1e1e20; --muted: #a1a1a6; --line: #3a3a3c; --panel: #2a2a2c; } }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, sans-serif; color: var(--fg); background: var(--bg); }
header { display: flex; gap: 12px; align-items: center; padding: 10px 16px; border-bottom: 1px solid var(--line); position: sticky; top: 0; background: var(--bg); }
header h1 { font-size: 16px; margin: 0 auto 0 0; }
input, textarea, select, button { font: inherit; color: inherit; background: var(--bg); border: 1px solid var(--line); border-radius: 6px; padding: 5px 8px; }
button { background: var(--accent); color: #fff; border: 0; cursor: pointer; }
.layout { display: grid; grid-template-columns: minmax(220px, 320px) 1fr; min-height: calc(100vh - 52px); }
nav { border-right: 1px solid var(--line); padding: 8px; overflow: auto; max-height: calc(100vh - 52px); position: sticky; top: 52px; }
nav h2 { font-size: 12px; text-transform: uppercase; color: var(--muted); margin: 12px 6px 4px; }
nav a { display: block; padding: 3px 6px; border-radius: 4px; color: inherit; text-decoration: none; font-family: ui-monospace, monospace; font-size: 12px; }
nav a:hover, nav a[aria-current="true"] { background: var(--panel); }
main { padding: 16px 24px; overflow: auto; }
.method { display: inline-block; min-width: 52px; font-weight: 600; text-transform: uppercase; }
.get { color: #2f8132; } .post { color: #0b5cad; } .put, .patch { color: #a15c00; } .delete { color: #b3261e; }
code, pre { font-family: ui-monospace, monospace; font-size: 12px; }
pre { background: var(--panel); padding: 10px; border-radius: 6px; overflow: auto; max-height: 420px; }
table { border-collapse: collapse; width: 100%; margin: 6px 0 14px; }
th, td { text-align: left; border-bottom: 1px solid var(--line); padding: 5px 6px; vertical-align: top; }
.muted { color: var(--muted); }
.badge { display: inline-block; border: 1px solid var(--line); border-radius: 10px; padding: 0 8px; margin-right: 4px; font-size: 12px; }
.try label { display: block; margin: 6px 0 2px; font-family: ui-monospace, monospace; font-size: 12px; }
.try input { width: 100%; }
.try textarea { width: 100%; min-height: 160px; font-family: ui-monospace, monospace; font-size: 12px; }
`;

const SCRIPT = `
"use strict";
const specUrl = document.body.dataset.spec;
const h = (tag, attrs, ...children) => {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) if (v !== undefined && v !== null) el.setAttribute(k, v);
  for (const c of children.flat(Infinity)) if (c !== undefined && c !== null) el.append(typeof c === "string" ? document.createTextNode(c) : c);
  return el;
};
const keyInput = document.getElementById("key");
keyInput.value = sessionStorage.getItem("edge-inventory-key") || "";
keyInput.addEventListener("input", () => sessionStorage.setItem("edge-inventory-key", keyInput.value));
const nav = document.querySelector("nav");
const main = document.querySelector("main");
const filter = document.getElementById("filter");
let ops = [];

/** A JSON value that fits a schema, as a starting point for a request body. */
function example(s, depth) {
  if (!s || depth > 6) return null;
  if (s.default !== undefined) return s.default;
  if (s.const !== undefined) return s.const;
  if (s.enum) return s.enum[0];
  const alt = s.anyOf || s.oneOf;
  if (alt) return example(alt.find((a) => a.type !== "null") || alt[0], depth + 1);
  const type = Array.isArray(s.type) ? s.type.find((t) => t !== "null") : s.type;
  if (type === "object" || s.properties) {
    const out = {};
    for (const name of s.required || []) out[name] = example((s.properties || {})[name], depth + 1);
    return out;
  }
  if (type === "array") return [example(s.items, depth + 1)];
  if (type === "integer" || type === "number") return s.minimum !== undefined ? s.minimum : s.exclusiveMinimum !== undefined ? s.exclusiveMinimum + 1 : 0;
  if (type === "boolean") return false;
  if (type === "string") return s.format === "date-time" ? new Date().toISOString() : "";
  return null;
}

function describeSchema(s) {
  if (!s) return "";
  const type = Array.isArray(s.type) ? s.type.join(" | ") : s.type || (s.anyOf ? "one of" : "");
  const bits = [type];
  if (s.enum) bits.push(s.enum.join(" | "));
  if (s.pattern) bits.push("pattern " + s.pattern);
  if (s.minimum !== undefined) bits.push("≥ " + s.minimum);
  if (s.maximum !== undefined) bits.push("≤ " + s.maximum);
  if (s.minLength !== undefined) bits.push("length ≥ " + s.minLength);
  if (s.maxLength !== undefined) bits.push("length ≤ " + s.maxLength);
  if (s.description) bits.push(s.description);
  return bits.filter(Boolean).join("; ");
}

function renderNav() {
  nav.replaceChildren();
  const words = filter.value.toLowerCase().split(/\\s+/).filter(Boolean);
  const byTag = new Map();
  for (const op of ops) {
    const text = (op.method + " " + op.path + " " + op.summary + " " + op.tag).toLowerCase();
    if (!words.every((w) => text.includes(w))) continue;
    if (!byTag.has(op.tag)) byTag.set(op.tag, []);
    byTag.get(op.tag).push(op);
  }
  for (const [tag, list] of byTag) {
    nav.append(h("h2", {}, tag));
    for (const op of list) {
      nav.append(h("a", { href: "#" + encodeURIComponent(op.id), title: op.summary, "aria-current": String(location.hash.slice(1) === encodeURIComponent(op.id)) }, h("span", { class: "method " + op.method }, op.method), " ", op.path));
    }
  }
}

function renderOp(op) {
  const params = op.operation.parameters || [];
  const content = (op.operation.requestBody || {}).content || {};
  const json = content["application/json"];
  const scopes = op.operation["x-scopes"] || [];
  const fields = new Map();
  const bodyBox = json ? h("textarea", { "aria-label": "request body (JSON)" }) : null;
  if (bodyBox) bodyBox.value = JSON.stringify(example(json.schema, 0), null, 2);
  const out = h("pre", { "aria-live": "polite" }, "No request sent yet.");
  const send = h("button", { type: "button" }, "Send");
  send.addEventListener("click", async () => {
    let path = op.path;
    const query = new URLSearchParams();
    const headers = {};
    for (const p of params) {
      const value = fields.get(p).value;
      if (value === "") continue;
      if (p.in === "path") path = path.replace("{" + p.name + "}", encodeURIComponent(value));
      else if (p.in === "query") query.set(p.name, value);
      else if (p.in === "header") headers[p.name] = value;
    }
    if (keyInput.value && scopes.length > 0) headers.Authorization = "Bearer " + keyInput.value;
    const init = { method: op.method.toUpperCase(), headers };
    if (bodyBox && bodyBox.value.trim() !== "") {
      headers["Content-Type"] = "application/json";
      init.body = bodyBox.value;
    }
    out.textContent = "…";
    try {
      const url = path + (query.size > 0 ? "?" + query : "");
      const res = await fetch(url, init);
      const text = await res.text();
      let shown = text;
      try { shown = JSON.stringify(JSON.parse(text), null, 2); } catch {}
      const head = [...res.headers].map(([k, v]) => k + ": " + v).join("\\n");
      out.textContent = init.method + " " + url + "\\n→ " + res.status + " " + res.statusText + "\\n" + head + "\\n\\n" + shown;
    } catch (error) {
      out.textContent = "The request failed: " + error;
    }
  });
  // Through h(), which drops the nulls of sections an operation does not have.
  main.replaceChildren(h("article", {},
    h("h2", {}, h("span", { class: "method " + op.method }, op.method), " ", h("code", {}, op.path)),
    h("p", {}, op.summary),
    h("p", { class: "muted" }, op.operation.description || ""),
    h("p", {}, scopes.length > 0 ? scopes.map((s) => h("span", { class: "badge" }, s)) : h("span", { class: "badge" }, "public")),
    params.length > 0 ? h("h3", {}, "Parameters") : null,
    params.length > 0
      ? h("table", {}, h("tr", {}, h("th", {}, "name"), h("th", {}, "in"), h("th", {}, "required"), h("th", {}, "schema")),
          params.map((p) => h("tr", {}, h("td", {}, h("code", {}, p.name)), h("td", {}, p.in), h("td", {}, p.required ? "yes" : "no"), h("td", {}, [p.description, describeSchema(p.schema)].filter(Boolean).join("; ")))))
      : null,
    Object.keys(content).length > 0 ? h("h3", {}, "Request body", op.operation.requestBody.required ? "" : " (optional)") : null,
    h("div", {}, Object.entries(content).map(([type, c]) => h("details", {}, h("summary", {}, type), h("pre", {}, JSON.stringify(c.schema, null, 2))))),
    h("h3", {}, "Responses"),
    h("table", {}, Object.entries(op.operation.responses || {}).map(([status, r]) => h("tr", {}, h("td", {}, h("code", {}, status)), h("td", {}, r.description)))),
    h("h3", {}, "Try it"),
    h("div", { class: "try" },
      scopes.length > 0 ? h("p", { class: "muted" }, keyInput.value ? "Sent with the key above." : "Put an API key in the box above.") : null,
      params.map((p) => {
        const input = h("input", { id: "p-" + p.in + "-" + p.name, placeholder: p.required ? "required" : "optional" });
        fields.set(p, input);
        return [h("label", { for: input.id }, p.in + " · " + p.name), input];
      }),
      bodyBox ? [h("label", {}, "body (application/json)"), bodyBox] : null,
      h("p", {}, send),
      out,
    ),
  ));
  document.title = op.method.toUpperCase() + " " + op.path + " · edge-inventory API";
}

function route() {
  const id = decodeURIComponent(location.hash.slice(1));
  const op = ops.find((o) => o.id === id) || ops[0];
  if (op) renderOp(op);
  renderNav();
}

fetch(specUrl)
  .then((res) => res.json())
  .then((doc) => {
    document.getElementById("version").textContent = "OpenAPI " + doc.openapi + " · " + specUrl;
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const [method, operation] of Object.entries(item)) {
        ops.push({ id: method.toUpperCase() + " " + path, method, path, operation, summary: operation.summary || "", tag: (operation.tags || ["other"])[0] });
      }
    }
    addEventListener("hashchange", route);
    filter.addEventListener("input", renderNav);
    route();
  })
  .catch((error) => main.replaceChildren(h("p", {}, "Could not load " + specUrl + ": " + error)));
`;

/** The page; `specUrl` is where the OpenAPI document is served. */
export function docsPage(specUrl: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>edge-inventory API reference</title>
<style>${STYLE}</style>
</head>
<body data-spec="${specUrl.replace(/[&"<>]/g, (ch) => `&#${ch.charCodeAt(0)};`)}">
<header><h1>edge-inventory API <span class="muted" id="version"></span></h1>
<input id="filter" type="search" placeholder="Filter operations" aria-label="Filter operations">
<input id="key" type="password" placeholder="API key (eik_…)" aria-label="API key" autocomplete="off">
</header>
<div class="layout"><nav aria-label="Operations"></nav><main><p>Loading the OpenAPI document…</p></main></div>
<script>${SCRIPT}</script>
</body>
</html>`;
}

async function sha256Base64(text: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)));
  return btoa(String.fromCharCode(...digest));
}

/** Computed once per isolate (the string, not a promise shared across requests). */
let policy: string | undefined;

/** A Content-Security-Policy admitting the page's own inline script and style (by hash) and same-origin requests, nothing else. */
export async function docsPagePolicy(): Promise<string> {
  policy ??= `default-src 'none'; script-src 'sha256-${await sha256Base64(SCRIPT)}'; style-src 'sha256-${await sha256Base64(STYLE)}'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`;
  return policy;
}
