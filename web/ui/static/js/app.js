import { signIn, signOut, session } from "./api.js";
import { h, navigate } from "./dom.js";
import connect from "./pages/connect.js";
import explorer from "./pages/explorer.js";
import sqlEditor from "./pages/sqleditor.js";
import ingest from "./pages/ingest.js";
import dashboards from "./pages/dashboards.js";
import pipelines from "./pages/pipelines.js";
import alerts from "./pages/alerts.js";

// The left navigation and the router. A page is a function
// (root, params, path) that fills root and may return a cleanup function
// (stop timers, close streams, dispose charts). To add a page, add a route
// and, for the navigation, an entry in NAV.

const NAV = [
  { path: "/", label: "Connect", icon: "⌂" },
  { path: "/explore/data", label: "Catalog", icon: "▤" },
  { path: "/sql/editor", label: "SQL editor", icon: "⌨" },
  { path: "/ingest", label: "Ingestion", icon: "↯" },
  { path: "/pipelines", label: "Pipelines", icon: "⇶" },
  { path: "/sql/dashboardsv3", label: "Dashboards", icon: "▦" },
  { path: "/sql/alerts", label: "Alerts", icon: "⚑" },
];

// ROUTES map the workspace's own deep-link paths to pages; the capture
// groups are the page's params (URL-decoded).
const ROUTES = [
  { re: /^\/$/, page: connect },
  { re: /^\/explore\/data(?:\/([^/]+))?(?:\/([^/]+))?(?:\/([^/]+))?\/?$/, page: explorer },
  { re: /^\/sql\/editor\/?$/, page: sqlEditor },
  { re: /^\/ingest\/?$/, page: ingest },
  { re: /^\/pipelines(?:\/([^/]+))?\/?$/, page: pipelines },
  { re: /^\/sql\/dashboardsv3(?:\/([^/]+))?\/?$/, page: dashboards },
  { re: /^\/sql\/alerts(?:\/([^/]+))?\/?$/, page: alerts },
];

let cleanup = null;

function renderNav() {
  const list = document.getElementById("nav-list");
  list.replaceChildren(...NAV.map((n) => h("li", h("a", { href: n.path, "data-nav": true, dataset: { path: n.path } },
    h("span", { "aria-hidden": "true" }, n.icon), n.label))));
}

function markNav(path) {
  for (const a of document.querySelectorAll("#nav-list a")) {
    const p = a.dataset.path;
    a.classList.toggle("active", p === "/" ? path === "/" : path === p || path.startsWith(p + "/"));
  }
}

async function route() {
  if (cleanup) {
    try { cleanup(); } catch (e) { console.error(e); }
    cleanup = null;
  }
  const path = location.pathname;
  markNav(path);
  const root = document.getElementById("page");
  root.replaceChildren();
  root.scrollTop = 0;
  for (const r of ROUTES) {
    const m = path.match(r.re);
    if (m) {
      const params = m.slice(1).map((p) => (p == null ? null : decodeURIComponent(p)));
      const c = await r.page(root, params, path);
      if (typeof c === "function") cleanup = c;
      return;
    }
  }
  root.append(h("div.placeholder-page", h("div", h("h1", "Not found"), h("p.muted", "No page at " + path))));
}

function setTheme(t) {
  document.documentElement.dataset.theme = t;
  localStorage.setItem("zbemu.theme", t);
}

async function main() {
  setTheme(localStorage.getItem("zbemu.theme") || (matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light"));
  renderNav();
  document.getElementById("theme-toggle").addEventListener("click", () => {
    setTheme(document.documentElement.dataset.theme === "dark" ? "light" : "dark");
    route(); // charts take the theme when they are created
  });
  document.addEventListener("click", (e) => {
    const a = e.target.closest("a[data-nav]");
    if (!a || e.ctrlKey || e.metaKey || e.shiftKey || e.button !== 0) return;
    e.preventDefault();
    navigate(a.getAttribute("href"));
  });
  window.addEventListener("popstate", route);
  window.addEventListener("zbemu:navigate", route);
  await signIn();
  document.getElementById("whoami").textContent = session.whoami ? "Signed in as " + session.whoami : "Signed in with a token";
  const so = document.getElementById("signout");
  so.hidden = !!session.dev;
  so.addEventListener("click", () => { signOut(); location.reload(); });
  await route();
  document.body.dataset.ready = "1";
}

main();
