// Package ui is zbemu's browser UI: static files embedded into the binary
// (go:embed) and served by package web on the same address as the APIs,
// at "/" and at the workspace's own deep-link paths (Pages), which all get
// the one index.html; the app's router (static/js/app.js) picks the page.
//
// Invariant: the UI has no privileges of its own. It is files only; every
// datum it shows comes from the public HTTP APIs (Statement Execution API,
// Unity Catalog REST, /zbemu/v1/stats and its event stream, the schema
// endpoints, the Lakeview, Pipelines and alerts APIs), called with the user's bearer token, so it can see and do
// exactly what a script with that token can. web hands the dev token to
// the page only on loopback (see web/uiapi.go); elsewhere the page asks
// for a token and keeps it in sessionStorage.
//
// Choices:
//   - Plain ES modules, no build step and no framework: `go run
//     ./cmd/zbemu serve` on a fresh machine needs no Node.js, and the code
//     a learner reads is the code that runs. Pages are functions that fill
//     an element and return a cleanup function; a new page is a route and
//     a navigation entry in app.js.
//   - Apache ECharts 5 (https://echarts.apache.org), its "common" build
//     (660 KB): one library draws every chart type the SQL editor and
//     Lakeview dashboards need (counter aside: bar, line, area, pie,
//     scatter) with time axes, legends, tooltips, dark theme and an SVG
//     renderer whose elements tests can count. uPlot is smaller but draws
//     only x/y series (no pie), so a second library would be needed.
//   - CodeMirror 5 (https://codemirror.net/5/): 400 KB unminified with its
//     SQL mode (Spark SQL dialect), loaded as plain scripts; CodeMirror 6
//     is modular and needs a bundler, which this package avoids.
//   - No fonts, images or scripts from the network: the UI works offline,
//     and the Content-Security-Policy allows scripts from this origin only.
//
// vendor/fetch.sh fetches the libraries from the npm registry at pinned
// versions, checks the package tarballs' sha256 and copies the built files
// into vendor/ (committed; vendor/SHA256SUMS lists them).
package ui
