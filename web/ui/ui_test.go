package ui

import (
	"io"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestIsPage(t *testing.T) {
	for path, want := range map[string]bool{
		"/": true, "/explore/data": true, "/explore/data/main/default/events": true, "/sql/editor": true,
		"/sql/dashboardsv3/01ef": true, "/sql/alerts/7": true, "/pipelines/p1": true, "/ingest": true,
		"/ingestion": false, "/sql": false, "/api/2.0/sql/statements": false, "/explore": false, "/metrics": false,
	} {
		if got := IsPage(path); got != want {
			t.Errorf("IsPage(%q) = %v, want %v", path, got, want)
		}
	}
}

// TestHandler: pages get index.html, assets their own type, both with the
// security headers; the vendored libraries are embedded.
func TestHandler(t *testing.T) {
	h := Handler()
	for _, tc := range []struct{ path, ctype, body string }{
		{"/explore/data/main/default/events", "text/html", `<script type="module" src="/ui/js/app.js">`},
		{"/ui/js/app.js", "text/javascript", "const ROUTES"},
		{"/ui/app.css", "text/css", "--accent"},
		{"/ui/vendor/echarts/echarts.common.min.js", "text/javascript", "echarts"},
		{"/ui/vendor/codemirror/sql.js", "text/javascript", "text/x-sparksql"},
	} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", tc.path, nil))
		body, _ := io.ReadAll(rec.Body)
		if rec.Code != 200 || !strings.HasPrefix(rec.Header().Get("Content-Type"), tc.ctype) || !strings.Contains(string(body), tc.body) {
			t.Errorf("GET %s: %d %s, want %s containing %q", tc.path, rec.Code, rec.Header().Get("Content-Type"), tc.ctype, tc.body)
		}
		if csp := rec.Header().Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") || !strings.Contains(csp, "frame-ancestors 'none'") {
			t.Errorf("GET %s: Content-Security-Policy %q", tc.path, csp)
		}
	}
}
