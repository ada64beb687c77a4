package ui

import (
	"embed"
	"io/fs"
	"net/http"
	"strings"
)

//go:embed static vendor/echarts vendor/codemirror
var files embed.FS

// AssetPrefix is where the static files are served; the HTML references
// them by absolute path so that a deep link loads them from any depth.
const AssetPrefix = "/ui/"

// Pages are the path prefixes of the single-page app, the workspace's own
// deep-link paths (plus /ingest for the monitor). Every path under them gets
// index.html; the app's router picks the page. Register them with Handler.
var Pages = []string{"/explore/data", "/sql/editor", "/sql/dashboardsv3", "/sql/alerts", "/pipelines", "/ingest"}

// securityHeaders confine the pages: scripts only from this origin (so a
// value shown in the UI can never run as code), no framing (clickjacking),
// no referrer, no MIME sniffing. Inline styles are allowed because the
// chart and editor libraries position their elements with style
// attributes.
var securityHeaders = map[string]string{
	"Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; " +
		"img-src 'self' data: blob:; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'",
	"X-Content-Type-Options": "nosniff",
	"Referrer-Policy":        "no-referrer",
	"X-Frame-Options":        "DENY",
}

// Handler serves the UI: the assets under AssetPrefix and index.html for
// "/" and every path under Pages. It serves files only; every datum the UI
// shows comes from the public APIs, called with the user's bearer token.
func Handler() http.Handler {
	static, err := fs.Sub(files, "static")
	if err != nil {
		panic(err) // the embedded tree is fixed at build time
	}
	assets := http.NewServeMux()
	assets.Handle(AssetPrefix+"vendor/", http.StripPrefix(AssetPrefix, http.FileServerFS(files)))
	assets.Handle(AssetPrefix, http.StripPrefix(AssetPrefix, http.FileServerFS(static)))
	index, err := fs.ReadFile(static, "index.html")
	if err != nil {
		panic(err)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for k, v := range securityHeaders {
			w.Header().Set(k, v)
		}
		// Always revalidate: the files change with the binary, and a cached
		// app.js of another version would call APIs that moved.
		w.Header().Set("Cache-Control", "no-cache")
		if strings.HasPrefix(r.URL.Path, AssetPrefix) {
			assets.ServeHTTP(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write(index)
	})
}

// Serves reports whether Handler answers path: a page or an asset.
func Serves(path string) bool {
	return IsPage(path) || strings.HasPrefix(path, AssetPrefix)
}

// IsPage reports whether path is "/" or a page of the app.
func IsPage(path string) bool {
	if path == "/" {
		return true
	}
	for _, p := range Pages {
		if path == p || strings.HasPrefix(path, p+"/") {
			return true
		}
	}
	return false
}
