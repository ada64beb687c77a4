// Small DOM helpers shared by the pages. Text always goes in as text
// (textContent), never as HTML, so no value from the server becomes markup.

// h builds an element: h("div.panel#id", {attrs, on: {click}}, children...).
export function h(spec, props, ...children) {
  const m = spec.match(/^([a-z0-9-]+)?((?:[.#][\w-]+)*)$/i);
  const el = document.createElement(m[1] || "div");
  for (const part of m[2].match(/[.#][\w-]+/g) || []) {
    if (part[0] === ".") el.classList.add(part.slice(1));
    else el.id = part.slice(1);
  }
  if (props && (typeof props !== "object" || props instanceof Node || Array.isArray(props))) {
    children.unshift(props);
    props = null;
  }
  for (const [k, v] of Object.entries(props || {})) {
    if (k === "on") for (const [ev, fn] of Object.entries(v)) el.addEventListener(ev, fn);
    else if (k === "dataset") Object.assign(el.dataset, v);
    else if (k === "class") el.className = v;
    else if (v === true) el.setAttribute(k, "");
    else if (v !== false && v != null) el.setAttribute(k, v);
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c == null || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

// copyButton copies text() to the clipboard and says so.
export function copyButton(text, label = "Copy") {
  const b = h("button.small.copy", { type: "button", title: "Copy to the clipboard" }, label);
  b.addEventListener("click", async () => {
    const v = typeof text === "function" ? text() : text;
    try {
      await navigator.clipboard.writeText(v);
    } catch {
      const ta = h("textarea", {}, v);
      document.body.append(ta);
      ta.select();
      document.execCommand("copy");
      ta.remove();
    }
    b.textContent = "Copied";
    setTimeout(() => (b.textContent = label), 1200);
  });
  return b;
}

// simpleTable renders rows (arrays of cells) under headers; numeric columns
// (by index in opts.num) are right-aligned; opts.onRow makes rows clickable.
export function simpleTable(headers, rows, opts = {}) {
  const num = new Set(opts.num || []);
  return h("table.simple", opts.attrs || {},
    h("thead", h("tr", headers.map((x, i) => h("th", { class: num.has(i) ? "num" : null }, x)))),
    h("tbody", rows.map((r, ri) => {
      const tr = h("tr", { class: opts.onRow ? "clickable" : null }, r.map((c, i) => h("td", { class: num.has(i) ? "num" : null }, c == null ? "NULL" : c)));
      if (opts.onRow) tr.addEventListener("click", () => opts.onRow(ri, tr));
      return tr;
    })));
}

export function errorBox(e) {
  return h("div.error-box", (e.code ? e.code + ": " : "") + (e.message || String(e)));
}

const nf = new Intl.NumberFormat("en-US", { maximumFractionDigits: 1 });
const nf2 = new Intl.NumberFormat("en-US", { maximumFractionDigits: 2 });
export const fmt = {
  num: (n) => (n == null ? "—" : nf.format(n)),
  ms: (n) => (n == null ? "—" : nf2.format(n) + " ms"),
  bytes: (n) => {
    if (n == null) return "—";
    const u = ["B", "KB", "MB", "GB", "TB"];
    let i = 0;
    while (n >= 1000 && i < u.length - 1) { n /= 1000; i++; }
    return nf.format(n) + " " + u[i];
  },
  age: (iso) => {
    const s = Math.max(0, (Date.now() - Date.parse(iso)) / 1000);
    if (s < 60) return Math.floor(s) + "s";
    if (s < 3600) return Math.floor(s / 60) + "m " + Math.floor(s % 60) + "s";
    return Math.floor(s / 3600) + "h " + Math.floor((s % 3600) / 60) + "m";
  },
};

// navigate changes the page without a reload (the router listens).
export function navigate(path) {
  history.pushState(null, "", path);
  window.dispatchEvent(new Event("zbemu:navigate"));
}
