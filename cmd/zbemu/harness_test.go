package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/zbemu/zbemu/web"
)

// Integration tests start the real binary on a loopback port with a data
// directory in t.TempDir(). The binary is this test binary itself, under a
// second name, zbemu: TestMain runs main() when started under that name,
// so a package run links the DuckDB-sized binary once, not twice.

var (
	binPath   string
	sdkOnce   sync.Once
	sdkErr    error
	devToken  = DefaultConfig().DevToken
	devID     = DefaultConfig().ClientID
	devSecret = DefaultConfig().ClientSecret
)

// binName is the name a test starts the binary under; TestMain runs
// main() instead of the tests when its own name is binName.
const binName = "zbemu"

// defaultParallel is how many tests marked t.Parallel run at once when
// -parallel is not given: most of an integration test's time is spent
// waiting on a server, a Node driver or Chromium, not on this process,
// so more than GOMAXPROCS of them fit on a small machine.
const defaultParallel = 6

func TestMain(m *testing.M) {
	if filepath.Base(os.Args[0]) == binName {
		main()
		os.Exit(0)
	}
	flag.Parse()
	set := false
	flag.Visit(func(f *flag.Flag) { set = set || f.Name == "test.parallel" })
	if !set {
		flag.Set("test.parallel", strconv.Itoa(max(defaultParallel, runtime.GOMAXPROCS(0))))
	}
	self, err := os.Executable()
	if err != nil {
		panic(err)
	}
	dir, err := os.MkdirTemp("", "zbemu-bin")
	if err != nil {
		panic(err)
	}
	binPath = filepath.Join(dir, binName)
	// A hard link or a copy, not a symbolic link: os.Executable, which
	// zbemu bench uses to start itself again, resolves symbolic links.
	if err := os.Link(self, binPath); err != nil {
		if err := copyFile(self, binPath); err != nil {
			fmt.Fprintf(os.Stderr, "copy the test binary to %s: %v\n", binPath, err)
			os.Exit(1)
		}
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// copyFile copies the executable src to dst.
func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o755)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// server is a running zbemu process.
type server struct {
	t      testing.TB
	cmd    *exec.Cmd
	addr   string
	url    string
	data   string
	log    *bytes.Buffer
	stdout *bytes.Buffer
	waited chan struct{}
}

func freePort(t testing.TB) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// startServer runs `zbemu serve` with extra args on a port of its own;
// data is the data directory ("" for a new temp dir).
func startServer(t testing.TB, data string, extra ...string) *server {
	t.Helper()
	if data == "" {
		data = t.TempDir()
	}
	s := &server{t: t, data: data, log: &bytes.Buffer{}, stdout: &bytes.Buffer{}, waited: make(chan struct{})}
	// Port 0: the server binds a port nobody else holds and prints it. A
	// port picked here and closed again could be taken by a test running
	// beside this one before the server binds it.
	args := append([]string{"serve", "--addr", "127.0.0.1:0", "--data", data}, extra...)
	s.cmd = exec.Command(binPath, args...)
	ready := &bannerWatch{w: s.stdout, url: make(chan string, 1)}
	s.cmd.Stdout = ready
	s.cmd.Stderr = s.log
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { s.cmd.Wait(); close(s.waited) }()
	t.Cleanup(func() { s.stop() })
	// Generous: only there to end a hung start, never a measure of speed.
	timeout := time.NewTimer(2 * time.Minute)
	defer timeout.Stop()
	select {
	case s.url = <-ready.url:
		s.addr = s.url[strings.Index(s.url, "://")+3:]
		return s
	case <-s.waited:
		t.Fatalf("zbemu exited early: %s\n%s", s.stdout, s.log)
	case <-timeout.C:
		t.Fatalf("zbemu printed no banner ending in %q: %s\n%s", bannerEnd, s.stdout, s.log)
	}
	return nil
}

// bannerWatch passes the server's stdout on to w and, once the start-up
// banner (printed after the port is bound) is complete, sends the URL of
// its "Web UI" line on url. Tests read the banner as soon as startServer
// returns, so the watch waits for the banner's last line, bannerEnd.
type bannerWatch struct {
	w     io.Writer
	url   chan string
	found string
	line  []byte
	done  bool
}

const bannerEnd = "If you use an HTTP proxy:"

func (b *bannerWatch) Write(p []byte) (int, error) {
	for rest := p; !b.done && len(rest) > 0; {
		i := bytes.IndexByte(rest, '\n')
		if i < 0 {
			b.line = append(b.line, rest...)
			break
		}
		b.line = append(b.line, rest[:i]...)
		rest = rest[i+1:]
		line := string(b.line)
		b.line = b.line[:0]
		if f := strings.Fields(line); len(f) == 3 && f[0] == "Web" && f[1] == "UI" {
			b.found = strings.TrimSuffix(f[2], "/")
		}
		if strings.HasPrefix(line, bannerEnd) && b.found != "" {
			b.url <- b.found
			b.done = true
		}
	}
	return b.w.Write(p)
}

// stop sends SIGTERM and waits for a clean exit.
func (s *server) stop() {
	if s.cmd.ProcessState != nil {
		return
	}
	select {
	case <-s.waited:
		return
	default:
	}
	s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.waited:
	case <-time.After(30 * time.Second):
		s.cmd.Process.Kill()
		<-s.waited
		s.t.Errorf("zbemu did not stop on SIGTERM; log:\n%s", s.log)
	}
}

// kill9 kills the server without any chance to clean up.
func (s *server) kill9() {
	s.cmd.Process.Kill()
	<-s.waited
}

// call does an HTTP request with the dev token and returns status and body.
func (s *server) call(method, path, token string, body any) (int, []byte) {
	s.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		j, _ := json.Marshal(b)
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, s.url+path, rd)
	if err != nil {
		s.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := httpClient().Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, data
}

var httpClientFn = func() *http.Client { return http.DefaultClient }

func httpClient() *http.Client { return httpClientFn() }

// statementCode is the error_code a test compares for a failed statement
// with message msg: a denial is BAD_REQUEST with the error class
// INSUFFICIENT_PERMISSIONS there (the Statement API's ServiceErrorCode has
// no PERMISSION_DENIED), which tests sharing cases with REST's 403 read as
// PERMISSION_DENIED.
func statementCode(code, msg string) string {
	if code == "BAD_REQUEST" && strings.HasPrefix(msg, "[INSUFFICIENT_PERMISSIONS] ") {
		return "PERMISSION_DENIED"
	}
	return code
}

// sql runs one statement and fails the test unless it succeeds.
func (s *server) sql(stmt string) [][]*string {
	s.t.Helper()
	r := s.sqlResult(stmt)
	if r.Status.State != "SUCCEEDED" {
		msg := ""
		if r.Status.Error != nil {
			msg = r.Status.Error.ErrorCode + ": " + r.Status.Error.Message
		}
		s.t.Fatalf("SQL %q: state %s %s", stmt, r.Status.State, msg)
	}
	if r.Result == nil {
		return nil
	}
	return r.Result.DataArray
}

func (s *server) sqlResult(stmt string) web.StatementResponse {
	s.t.Helper()
	return s.statement(stmt, nil)
}

// statement runs SQL with extra request fields (row_limit, byte_limit).
// A statement still running after the 50 s wait (a loaded machine) is
// polled until it ends, as a client would, unless fields set wait_timeout.
func (s *server) statement(stmt string, fields map[string]any) web.StatementResponse {
	s.t.Helper()
	req := map[string]any{"statement": stmt, "warehouse_id": "w", "wait_timeout": "50s"}
	for k, v := range fields {
		req[k] = v
	}
	code, body := s.call("POST", "/api/2.0/sql/statements", devToken, req)
	_, async := fields["wait_timeout"]
	// Generous: only there to end a hung test, never a measure of speed.
	deadline, pause := time.Now().Add(10*time.Minute), 20*time.Millisecond
	for {
		if code != 200 {
			s.t.Fatalf("SQL %q: HTTP %d %s", stmt, code, body)
		}
		var r web.StatementResponse
		if err := json.Unmarshal(body, &r); err != nil {
			s.t.Fatal(err)
		}
		if async || (r.Status.State != "PENDING" && r.Status.State != "RUNNING") {
			return r
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("SQL %q: still %s after 10 minutes", stmt, r.Status.State)
		}
		time.Sleep(pause)
		pause = min(2*pause, time.Second)
		code, body = s.call("GET", "/api/2.0/sql/statements/"+r.StatementID, devToken, nil)
	}
}

// count returns SELECT count(*) of a table.
func (s *server) count(table string) int {
	s.t.Helper()
	rows := s.sql("SELECT count(*) FROM " + table)
	var n int
	fmt.Sscan(*rows[0][0], &n)
	return n
}

// ensureSDK installs the official Node SDK once per test binary.
func ensureSDK(t testing.TB) {
	t.Helper()
	sdkOnce.Do(func() {
		out, err := exec.Command("bash", "../../.ci/install-sdk.sh").CombinedOutput()
		if err != nil {
			sdkErr = fmt.Errorf("install the official SDK: %v\n%s", err, out)
		}
	})
	if sdkErr != nil {
		t.Fatal(sdkErr)
	}
}

// sdkResult is the driver's output.
type sdkResult struct {
	OK      bool `json:"ok"`
	Streams []struct {
		OK            bool    `json:"ok"`
		StreamCreated bool    `json:"streamCreated"`
		LastOffset    *int64  `json:"lastOffset"`
		AckedRecords  int     `json:"ackedRecords"`
		QueuedRecords int     `json:"queuedRecords"`
		ElapsedMs     int64   `json:"elapsedMs"`
		Error         *string `json:"error"`
		Stage         string  `json:"stage"`
		Second        *struct {
			OK           bool    `json:"ok"`
			AckedRecords int     `json:"ackedRecords"`
			Error        *string `json:"error"`
		} `json:"second"`
	} `json:"streams"`
	DescriptorB64 string   `json:"descriptorB64"`
	Records       []string `json:"records"`
}

// runSDK pipes a scenario into the official SDK driver.
func runSDK(t testing.TB, scenario map[string]any, env ...string) sdkResult {
	t.Helper()
	ensureSDK(t)
	b, _ := json.Marshal(scenario)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "node", "testdata/sdk/driver.js")
	cmd.Stdin = bytes.NewReader(b)
	cmd.Env = append(os.Environ(), env...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("SDK driver: %v\n%s", err, stderr.String())
	}
	var r sdkResult
	if err := json.Unmarshal(out, &r); err != nil {
		t.Fatalf("SDK driver output %q: %v", out, err)
	}
	return r
}

// scenario builds the common part of a driver scenario for s.
func (s *server) scenario(streams ...map[string]any) map[string]any {
	return map[string]any{"endpoint": s.url, "workspaceUrl": s.url, "clientId": devID, "clientSecret": devSecret, "streams": streams, "timeoutMs": 60000}
}

// execCLI runs the zbemu binary with args as a client command: in a fresh
// working directory, with stdin, and with env in place of any ZBEMU_*
// variable of the test's own environment. It returns stdout, stderr and
// the exit code, and fails the test if the command cannot run or outlasts
// timeout.
func execCLI(t *testing.T, timeout time.Duration, env []string, stdin string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, binPath, args...)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "ZBEMU_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, env...)
	cmd.Dir = t.TempDir()
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		code = ee.ExitCode()
	default:
		t.Fatalf("zbemu %q: %v", args, err)
	}
	if ctx.Err() != nil {
		t.Fatalf("zbemu %q did not finish in %v; stderr:\n%s", args, timeout, errb.String())
	}
	return out.String(), errb.String(), code
}
