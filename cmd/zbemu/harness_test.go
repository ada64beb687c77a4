package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/zbemu/zbemu/web"
)

// Integration tests start the real binary (built once in TestMain) on a
// loopback port with a data directory in t.TempDir().

var (
	binPath   string
	sdkOnce   sync.Once
	sdkErr    error
	devToken  = DefaultConfig().DevToken
	devID     = DefaultConfig().ClientID
	devSecret = DefaultConfig().ClientSecret
)

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "zbemu-bin")
	if err != nil {
		panic(err)
	}
	binPath = filepath.Join(dir, "zbemu")
	out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput()
	if err != nil {
		fmt.Fprintf(os.Stderr, "build zbemu: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
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

// startServer runs `zbemu serve` with extra args on a fresh port; data is
// the data directory ("" for a new temp dir).
func startServer(t testing.TB, data string, extra ...string) *server {
	t.Helper()
	if data == "" {
		data = t.TempDir()
	}
	addr := freePort(t)
	s := &server{t: t, addr: addr, url: "http://" + addr, data: data, log: &bytes.Buffer{}, stdout: &bytes.Buffer{}, waited: make(chan struct{})}
	args := append([]string{"serve", "--addr", addr, "--data", data}, extra...)
	s.cmd = exec.Command(binPath, args...)
	s.cmd.Stdout = s.stdout
	s.cmd.Stderr = s.log
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { s.cmd.Wait(); close(s.waited) }()
	t.Cleanup(func() { s.stop() })
	for _, a := range extra {
		if a == "--tls" {
			s.url = "https://" + addr
		}
	}
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-s.waited:
			t.Fatalf("zbemu exited early: %s\n%s", s.stdout, s.log)
		default:
		}
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
			return s
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("zbemu did not start: %s", s.log)
	return nil
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
func (s *server) statement(stmt string, fields map[string]any) web.StatementResponse {
	s.t.Helper()
	req := map[string]any{"statement": stmt, "warehouse_id": "w", "wait_timeout": "50s"}
	for k, v := range fields {
		req[k] = v
	}
	code, body := s.call("POST", "/api/2.0/sql/statements", devToken, req)
	if code != 200 {
		s.t.Fatalf("SQL %q: HTTP %d %s", stmt, code, body)
	}
	var r web.StatementResponse
	if err := json.Unmarshal(body, &r); err != nil {
		s.t.Fatal(err)
	}
	return r
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
