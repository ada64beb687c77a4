package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/zbemu/zbemu/fixtures/zbclient"
)

// startupName names the start-up line in the targets.
const startupName = "start-up"

// benchStartup measures what issue 16 asks of start-up: ≤ 1 s with 5M
// rows, after kill -9 and after a clean stop. It runs this binary as
// `zbemu serve` on a fresh data directory, creates the table and ingests
// n rows over gRPC at full speed, then kills the server with SIGKILL right
// after the last ack (DuckDB's WAL and the ingest log as a crash leaves
// them), starts it again and reads the start-up time from its banner,
// checks that every acknowledged row is there, stops it with SIGTERM and
// starts it once more.
func benchStartup(ctx context.Context, w io.Writer, root string, n int) error {
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	dir := filepath.Join(root, "startup")
	srv, err := startBenchServe(ctx, exe, dir)
	if err != nil {
		return err
	}
	if _, _, err := srv.client().statement(ctx, map[string]any{"statement": "CREATE TABLE main.default.bench0 " + benchDDL}); err != nil {
		srv.kill()
		return err
	}
	if _, err := streamLoad(ctx, srv.addr, "dapi-bench", n, 0, fullWindow, 0, 0, nil); err != nil {
		srv.kill()
		return err
	}
	srv.kill()
	wal := duckWALBytes(dir)

	var took, cpu [2]time.Duration
	var queryable time.Duration // after kill -9: banner + the first count(*), which waits for the replayed backlog
	replayed := "?"
	for i := range took {
		srv, err := startBenchServe(ctx, exe, dir)
		if err != nil {
			return err
		}
		took[i], cpu[i] = srv.startup, srv.cpu
		if i == 0 {
			log, _ := os.ReadFile(srv.stderr.Name())
			if m := replayedEntries.FindSubmatch(log); m != nil {
				replayed = string(m[1])
			}
			asked := time.Now()
			resp, _, err := srv.client().statement(ctx, map[string]any{"statement": "SELECT count(*) FROM main.default.bench0"})
			queryable = took[0] + time.Since(asked)
			if err == nil && (resp.Result == nil || len(resp.Result.DataArray) != 1 || *resp.Result.DataArray[0][0] != fmt.Sprint(n)) {
				err = fmt.Errorf("after kill -9 the table does not hold the %d acknowledged rows: %+v", n, resp.Result)
			}
			if err != nil {
				srv.kill()
				return err
			}
		}
		if err := srv.stop(); err != nil {
			return err
		}
	}
	fmt.Fprintf(w, "%s of zbemu serve with %d rows (from its banner; its CPU time until then): after kill -9 %s (CPU %s, %.1f MB of DuckDB WAL and %s ingest log entries of 100 records replayed; every row queryable after %s), after clean stop %s (CPU %s); targets: %s\n",
		startupName, n, took[0].Round(time.Millisecond), cpu[0].Round(time.Millisecond), float64(wal)/(1<<20), replayed, queryable.Round(time.Millisecond), took[1].Round(time.Millisecond), cpu[1].Round(time.Millisecond),
		verdicts(startupName, map[string]float64{figStartCrash: took[0].Seconds(), figStartClean: took[1].Seconds()}))
	return nil
}

// duckWALBytes is the size of the DuckDB WAL files of the catalogs in the
// data directory dir: what DuckDB replays at the next start.
func duckWALBytes(dir string) int64 {
	walFiles, _ := filepath.Glob(filepath.Join(dir, "catalogs", "*.wal"))
	var n int64
	for _, f := range walFiles {
		if fi, err := os.Stat(f); err == nil {
			n += fi.Size()
		}
	}
	return n
}

// benchServe is a `zbemu serve` child process of the start-up benchmark.
type benchServe struct {
	cmd     *exec.Cmd
	addr    string
	startup time.Duration // from its banner
	cpu     time.Duration // its CPU time when the banner came: what start-up took on an idle machine, roughly
	stderr  *os.File
}

// replayedEntries finds how many ingest log entries a start replayed in
// its log (engine.Engine.replay).
var replayedEntries = regexp.MustCompile(`msg="replayed ingest log[^"]*" entries=(\d+)`)

var bannerReady = regexp.MustCompile(`ready in (\S+?)\.?$`)

// startBenchServe starts `exe serve` on dir with the benchmark's token on
// a free loopback port and waits for its banner.
func startBenchServe(ctx context.Context, exe, dir string) (*benchServe, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	addr := l.Addr().String()
	l.Close()
	stderr, err := os.CreateTemp(filepath.Dir(dir), "serve-stderr")
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, exe, "serve", "--data", dir, "--addr", addr, "--token", "dapi-bench", "--log-level", "info")
	cmd.Stderr = stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	s := &benchServe{cmd: cmd, addr: addr, stderr: stderr}
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if m := bannerReady.FindStringSubmatch(sc.Text()); m != nil {
				select {
				case found <- m[1]:
				default:
				}
			}
		}
		close(found)
	}()
	select {
	case d, ok := <-found:
		if ok {
			s.startup, err = time.ParseDuration(d)
		} else {
			err = errors.New("exited before its banner")
		}
	case <-time.After(2 * time.Minute):
		err = errors.New("no banner after 2 minutes")
	}
	if err == nil {
		s.cpu, err = processCPU(cmd.Process.Pid)
	}
	if err != nil {
		s.kill()
		msg, _ := os.ReadFile(stderr.Name())
		return nil, fmt.Errorf("zbemu serve: %w: %s", err, msg)
	}
	return s, nil
}

// processCPU is the user and system CPU time process pid has used, from
// /proc/<pid>/stat (fields 14 and 15, in clock ticks of 1/100 s, USER_HZ on
// Linux: https://man7.org/linux/man-pages/man5/proc_pid_stat.5.html).
func processCPU(pid int) (time.Duration, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// The command name (field 2) may hold spaces; the fields after it follow its ')'.
	fields := strings.Fields(string(data[bytes.LastIndexByte(data, ')')+1:]))
	if len(fields) < 13 {
		return 0, fmt.Errorf("short /proc/%d/stat", pid)
	}
	var ticks int64
	for _, f := range fields[11:13] {
		n, err := strconv.ParseInt(f, 10, 64)
		if err != nil {
			return 0, err
		}
		ticks += n
	}
	return time.Duration(ticks) * 10 * time.Millisecond, nil
}

// client is a REST client of the server with the benchmark's token.
func (s *benchServe) client() *client {
	return &client{zbclient.REST{URL: "http://" + s.addr, Token: "dapi-bench", HTTP: &http.Client{Timeout: 5 * time.Minute}}}
}

// kill ends the server with SIGKILL, as a crash would.
func (s *benchServe) kill() {
	s.cmd.Process.Kill()
	s.cmd.Wait()
	s.stderr.Close()
}

// stop ends the server with SIGTERM (a clean stop) and waits for it.
func (s *benchServe) stop() error {
	defer s.stderr.Close()
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		return err
	}
	if err := s.cmd.Wait(); err != nil {
		msg, _ := os.ReadFile(s.stderr.Name())
		return fmt.Errorf("zbemu serve did not stop cleanly: %w: %s", err, msg)
	}
	return nil
}
