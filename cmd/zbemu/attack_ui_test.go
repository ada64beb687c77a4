package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// Attack tests of the UI's surfaces: the dev session is handed out only to
// zbemu's own page on loopback, the live stats stream authorizes and is
// bounded, and a principal without grants sees in the UI only what its
// grants allow.

// uiSession GETs /zbemu/v1/ui/session from base with the Host header host
// and extra headers.
func uiSession(t *testing.T, base, host string, hdr map[string]string) (int, string) {
	t.Helper()
	req, err := http.NewRequest("GET", base+"/zbemu/v1/ui/session", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Host = host
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if o := resp.Header.Get("Access-Control-Allow-Origin"); o != "" {
		t.Errorf("the session endpoint allows cross-origin reads: Access-Control-Allow-Origin %q", o)
	}
	return resp.StatusCode, string(body)
}

func TestAttackUISessionLoopbackOnly(t *testing.T) {
	t.Parallel()
	s := startServer(t, "", "--memory")
	_, port, _ := net.SplitHostPort(s.addr)
	own := map[string]string{"X-Zbemu-UI": "1"}
	with := func(k, v string) map[string]string { return map[string]string{"X-Zbemu-UI": "1", k: v} }
	for _, tc := range []struct {
		name, host string
		hdr        map[string]string
		ok         bool
		why        string
	}{
		{"zbemu's page on 127.0.0.1", "127.0.0.1:" + port, own, true, ""},
		{"zbemu's page on localhost", "localhost:" + port, own, true, ""},
		{"zbemu's page on [::1]", "[::1]:" + port, own, true, ""},
		{"navigation from the address bar", "localhost:" + port, with("Sec-Fetch-Site", "none"), true, ""},
		{"DNS rebinding: another site's name on 127.0.0.1", "evil.example:" + port, own, false, "Host header"},
		{"a name that starts with localhost", "localhost.evil.example:" + port, own, false, "Host header"},
		{"a name that starts with 127.0.0.1", "127.0.0.1.nip.io:" + port, own, false, "Host header"},
		{"cross-site request (CSRF)", "localhost:" + port, with("Sec-Fetch-Site", "cross-site"), false, "another site"},
		{"another port of localhost", "localhost:" + port, with("Sec-Fetch-Site", "same-site"), false, "another site"},
		{"without zbemu's header (a form or an <img>)", "localhost:" + port, nil, false, "X-Zbemu-UI"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, body := uiSession(t, s.url, tc.host, tc.hdr)
			if tc.ok {
				if code != 200 || !strings.Contains(body, devToken) || !strings.Contains(body, devSecret) {
					t.Fatalf("%d %s, want the dev session", code, body)
				}
				return
			}
			if code != 403 || !strings.Contains(body, "PERMISSION_DENIED") || !strings.Contains(body, tc.why) {
				t.Errorf("%d %s, want 403 PERMISSION_DENIED naming %q", code, body, tc.why)
			}
			if strings.Contains(body, devToken) || strings.Contains(body, devSecret) {
				t.Errorf("refused, but the body holds a credential: %s", body)
			}
		})
	}

	t.Run("a peer on another address", func(t *testing.T) {
		ip := nonLoopbackIP()
		if ip == "" {
			t.Skip("this machine has no non-loopback IPv4 address")
		}
		_, p, _ := net.SplitHostPort(freePort(t))
		cmd := exec.Command(binPath, "serve", "--memory", "--addr", "0.0.0.0:"+p)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		defer func() { cmd.Process.Kill(); cmd.Wait() }()
		base := "http://" + net.JoinHostPort(ip, p)
		for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(50 * time.Millisecond) {
			if c, err := net.Dial("tcp", net.JoinHostPort(ip, p)); err == nil {
				c.Close()
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("zbemu on 0.0.0.0 did not start")
			}
		}
		code, body := uiSession(t, base, "localhost:"+p, own)
		if code != 403 || !strings.Contains(body, "loopback address") || strings.Contains(body, devToken) {
			t.Errorf("from %s: %d %s, want 403 naming the loopback address", ip, code, body)
		}
	})

	t.Run("no dev token", func(t *testing.T) {
		off := startServer(t, "", "--memory", "--token", "")
		code, body := uiSession(t, off.url, off.addr, own)
		if code != 403 || !strings.Contains(body, "no dev token") || strings.Contains(body, devSecret) {
			t.Errorf("%d %s, want 403: the UI must ask for a token", code, body)
		}
	})
}

// nonLoopbackIP returns an IPv4 address of this machine outside loopback.
func nonLoopbackIP() string {
	addrs, _ := net.InterfaceAddrs()
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && !n.IP.IsLoopback() && n.IP.To4() != nil {
			return n.IP.String()
		}
	}
	return ""
}

// sse is one open GET /zbemu/v1/stats/stream.
type sse struct {
	resp *http.Response
	r    *bufio.Reader
}

func openSSE(t *testing.T, s *server, token string) (*sse, int, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", s.url+"/zbemu/v1/stats/stream", nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 {
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return nil, resp.StatusCode, string(body)
	}
	c := &sse{resp: resp, r: bufio.NewReader(resp.Body)}
	t.Cleanup(c.close)
	return c, 200, ""
}

func (c *sse) close() { c.resp.Body.Close() }

// next reads the next event of the given name and decodes its data.
func (c *sse) next(t *testing.T, name string, v any) {
	t.Helper()
	for {
		var event, data string
		for {
			line, err := c.r.ReadString('\n')
			if err != nil {
				t.Fatalf("reading the event stream: %v", err)
			}
			line = strings.TrimRight(line, "\n")
			if line == "" {
				break
			}
			if v, ok := strings.CutPrefix(line, "event: "); ok {
				event = v
			} else if v, ok := strings.CutPrefix(line, "data: "); ok {
				data += v
			}
		}
		if event == name {
			if err := json.Unmarshal([]byte(data), v); err != nil {
				t.Fatalf("event %s: %v: %s", name, err, data)
			}
			return
		}
	}
}

func TestAttackUIStatsStreamAuthAndBound(t *testing.T) {
	t.Parallel()
	s := startServer(t, "", "--memory")
	for _, tok := range []string{"", "dapi-not-a-token"} {
		if _, code, body := openSSE(t, s, tok); code != 401 || !strings.Contains(body, "UNAUTHENTICATED") {
			t.Errorf("token %q: %d %s, want 401 UNAUTHENTICATED", tok, code, body)
		}
	}
	// The bound (32 clients): every slot taken, the next is refused with
	// a clear error; a slot frees when its client goes.
	var open []*sse
	for i := range 32 {
		c, code, body := openSSE(t, s, devToken)
		if code != 200 {
			t.Fatalf("client %d: %d %s", i, code, body)
		}
		var h struct{ Points []json.RawMessage }
		c.next(t, "history", &h)
		open = append(open, c)
	}
	_, code, body := openSSE(t, s, devToken)
	if code != 429 || !strings.Contains(body, "RESOURCE_EXHAUSTED") || !strings.Contains(body, "at most 32") {
		t.Fatalf("client 33: %d %s, want 429 RESOURCE_EXHAUSTED naming the bound", code, body)
	}
	open[0].close()
	deadline := time.Now().Add(30 * time.Second) // the server notices a gone client at its next event
	for {
		c, code, body := openSSE(t, s, devToken)
		if code == 200 {
			c.close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("a slot never freed after a client left: %d %s", code, body)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// statsEvent is the part of a "stats" event the tests read.
type statsEvent struct {
	Stats struct {
		Tables  []struct{ Table string } `json:"tables"`
		Streams []struct {
			Table string `json:"table"`
		} `json:"streams"`
	} `json:"stats"`
	Point struct {
		Tables map[string]json.RawMessage `json:"tables"`
	} `json:"point"`
}

func TestAttackUIGrantlessPrincipal(t *testing.T) {
	t.Parallel()
	s := startServer(t, "", "--memory")
	seedUI(t, s)
	st := wireStream(t, s, "main.default.events")
	if err := sendAndWait(t, st, `{"device_id":"live","ts":1}`); err != nil {
		t.Fatal(err)
	}
	id, secret := s.newPrincipal("nogrants")
	tok := s.workspaceToken(id, secret)

	// The admin's stream shows the table; the grant-less one's does not,
	// in the stats, the history points and the open streams.
	for _, tc := range []struct {
		who, token string
		sees       bool
	}{{"admin", devToken, true}, {"grant-less principal", tok, false}} {
		c, code, body := openSSE(t, s, tc.token)
		if code != 200 {
			t.Fatalf("%s: %d %s", tc.who, code, body)
		}
		var hist struct {
			Points []struct {
				Tables map[string]json.RawMessage `json:"tables"`
			} `json:"points"`
		}
		c.next(t, "history", &hist)
		var ev statsEvent
		c.next(t, "stats", &ev)
		sawHist := false
		for _, p := range hist.Points {
			if _, ok := p.Tables["main.default.events"]; ok {
				sawHist = true
			}
		}
		_, sawPoint := ev.Point.Tables["main.default.events"]
		saw := len(ev.Stats.Tables) == 1 && len(ev.Stats.Streams) == 1 && sawPoint
		none := len(ev.Stats.Tables) == 0 && len(ev.Stats.Streams) == 0 && !sawPoint && !sawHist
		if tc.sees && !saw || !tc.sees && !none {
			t.Errorf("%s: live stats tables %v, streams %v, point %v, table in history %v", tc.who, ev.Stats.Tables, ev.Stats.Streams, ev.Point.Tables, sawHist)
		}
		code, b := s.call("GET", "/zbemu/v1/streams", tc.token, nil)
		if got := strings.Count(string(b), "main.default.events"); code != 200 || tc.sees != (got == 1) {
			t.Errorf("%s: GET /zbemu/v1/streams: %d %s", tc.who, code, b)
		}
	}

	// In the browser, with the principal's token in the tab: its SQL fails
	// with PERMISSION_DENIED and the monitor lists no table.
	ctx := newBrowser(t)
	run(t, ctx, "store the token", chromedp.Navigate(s.url+"/ui/app.css"),
		chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`sessionStorage.setItem("zbemu.token", %q)`, tok)))
	open(t, ctx, s, "/sql/editor")
	waitJS(t, ctx, `!!window.zbemuEditor`)
	eval[bool](t, ctx, `window.zbemuEditor.setValue("SELECT * FROM main.default.events"); true`)
	click(t, ctx, "#run")
	waitJS(t, ctx, `!!document.querySelector("#result-view .error-box")`)
	if got := text(t, ctx, "#result-view .error-box"); !strings.HasPrefix(got, "BAD_REQUEST: [INSUFFICIENT_PERMISSIONS]") {
		t.Errorf("the grant-less principal's query shows %q, want BAD_REQUEST: [INSUFFICIENT_PERMISSIONS]", got)
	}
	screenshot(t, ctx, "sql-editor-permission-denied")
	open(t, ctx, s, "/ingest")
	waitJS(t, ctx, `Number(document.body.dataset.statsEvents || 0) >= 1`)
	if got := text(t, ctx, "#tables"); strings.Contains(got, "main.default.events") {
		t.Errorf("the grant-less principal's monitor lists the table: %q", got)
	}
	if got := text(t, ctx, "#kpi-streams"); got != "1" {
		t.Errorf("workspace total of open streams %q, want 1 (totals name no table)", got)
	}
}

// TestAttackUIAsksForAToken: without a dev token the UI opens the sign-in
// dialog and then carries the token it was given.
func TestAttackUIAsksForAToken(t *testing.T) {
	t.Parallel()
	s := startServer(t, "", "--memory", "--token", "")
	admin := s.workspaceToken(devID, devSecret)
	ctx := newBrowser(t)
	run(t, ctx, "open", chromedp.Navigate(s.url+"/explore/data"))
	waitJS(t, ctx, `document.getElementById("login").open`)
	if got := text(t, ctx, "#login-why"); !strings.Contains(got, "no dev token") {
		t.Errorf("sign-in dialog says %q", got)
	}
	run(t, ctx, "sign in", chromedp.SendKeys(chromedp.CSS("#login-token"), admin), chromedp.Click(chromedp.CSS(`#login-form button[type="submit"]`)))
	waitJS(t, ctx, `document.body.dataset.ready === "1" && !!document.querySelector("#object-list")`)
	if got := text(t, ctx, "#object-list"); !strings.Contains(got, "main") {
		t.Errorf("catalogs after signing in: %q", got)
	}
	if got := eval[string](t, ctx, `sessionStorage.getItem("zbemu.token")`); got != admin {
		t.Errorf("the tab keeps token %q, want the one typed in", got)
	}
}
