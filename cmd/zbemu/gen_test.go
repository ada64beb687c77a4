package main

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// zbemu gen against the real binary: rows arrive, --count is exact, bad
// records land in system.zbemu.rejected_records with their hints (those in
// milliseconds are accepted and reported as warnings), --seed
// repeats the data, progress and summary are printed. Rate accuracy is
// counted in fixtures/gen (TestPacingByCount) and measured by zbemu bench,
// never timed here.

// runGenCLI runs `zbemu gen args...` against s with the dev token and
// returns its output and exit code.
func runGenCLI(t *testing.T, s *server, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	return execCLI(t, 3*time.Minute, []string{"ZBEMU_URL=" + s.url, "ZBEMU_TOKEN=" + devToken}, "", append([]string{"gen"}, args...)...)
}

// summaryCount reads a count such as "rejected  12" from the summary.
func summaryCount(t *testing.T, out, name string) int {
	t.Helper()
	m := regexp.MustCompile(`(?m)^  ` + name + `\s+(\d+)`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no %q in the summary:\n%s", name, out)
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

func TestGenIntoLiveServer(t *testing.T) {
	t.Parallel()
	s := startServer(t, "", "--memory")
	// Hints per bad column: the mistakes of fixtures/gen.
	hints := []string{"send microseconds since epoch", "looks like seconds since epoch", "send a JSON number", "did you mean"}
	tests := []struct{ scenario, via string }{
		{"iot", "grpc"}, {"iot", "rest"}, {"clickstream", "grpc"}, {"applogs", "rest"},
	}
	for _, tc := range tests {
		t.Run(tc.scenario+" via "+tc.via, func(t *testing.T) {
			table := fmt.Sprintf("main.gen_%s.%s", tc.via, tc.scenario)
			// 2,500 records at 1,000/s take 2.5 s by the schedule, so at
			// least two progress lines are due.
			out, errOut, code := runGenCLI(t, s, tc.scenario, "--table", table, "--create", "--via", tc.via,
				"--count", "2500", "--rate", "1000", "--bad-rate", "0.02", "--anomaly-rate", "0.05", "--seed", "11")
			if code != 0 {
				t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
			}
			acked, rejected := summaryCount(t, out, "acked"), summaryCount(t, out, "rejected")
			if failed := summaryCount(t, out, "failed"); failed != 0 || acked+rejected != 2500 || rejected == 0 {
				t.Fatalf("acked %d + rejected %d (failed %d), want 2500 with some rejected:\n%s", acked, rejected, failed, out)
			}
			if n := s.count(table); n != acked {
				t.Errorf("table has %d rows, summary says %d acked", n, acked)
			}
			rows := s.sql("SELECT reason, hint FROM system.zbemu.rejected_records WHERE table_name = '" + table + "'")
			if len(rows) != rejected {
				t.Errorf("%d rejected records in system.zbemu.rejected_records, summary says %d", len(rows), rejected)
			}
			seen := map[string]bool{}
			for _, r := range rows {
				for _, h := range hints {
					if r[1] != nil && strings.Contains(*r[1], h) {
						seen[h] = true
					}
				}
			}
			if len(seen) != len(hints) {
				t.Errorf("hints seen %v, want all of %q", seen, hints)
			}
			// Millisecond timestamps are accepted; the summary reports the
			// server's warnings for each of them.
			millis := regexp.MustCompile(`millis-timestamp (\d+)`).FindStringSubmatch(out)
			if millis == nil || millis[1] == "0" {
				t.Fatalf("no millis-timestamp records in the summary:\n%s", out)
			}
			if w := summaryCount(t, out, "warnings"); strconv.Itoa(w) != millis[1] || !strings.Contains(out, "like milliseconds since the epoch") || !strings.Contains(out, "system.zbemu.warnings") {
				t.Errorf("warnings %d for %s millisecond records:\n%s", w, millis[1], out)
			}
			if !strings.Contains(out, "first rejection: ") || !strings.Contains(out, "system.zbemu.rejected_records") {
				t.Errorf("summary does not point to the rejections:\n%s", out)
			}
			progress := regexp.MustCompile(`(?m)^` + tc.scenario + ` → ` + table + ` via ` + tc.via + `: sent \d+, acked \d+, rejected \d+, \d+ records/s, ack p50 [\d.]+ ms p99 [\d.]+ ms$`)
			if n := len(progress.FindAllString(errOut, -1)); n < 2 {
				t.Errorf("%d progress lines, want at least 2:\n%s", n, errOut)
			}
		})
	}
}

// The same seed writes the same rows (timestamps aside, and the
// temperature, whose daily cycle follows them).
func TestGenSeedReproducible(t *testing.T) {
	t.Parallel()
	s := startServer(t, "", "--memory")
	for _, tbl := range []string{"a", "b", "c"} {
		seed := map[string]string{"a": "5", "b": "5", "c": "6"}[tbl]
		if out, errOut, code := runGenCLI(t, s, "iot", "--table", "main.seed."+tbl, "--create", "--count", "1000", "--rate", "0",
			"--anomaly-rate", "0.05", "--devices", "20", "--seed", seed, "--via", "rest"); code != 0 {
			t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
		}
	}
	rows := func(tbl string) string {
		var b strings.Builder
		for _, r := range s.sql("SELECT device_id, seq, humidity, pressure, battery, location.lat, firmware, status FROM main.seed." + tbl + " ORDER BY device_id, seq") {
			for _, v := range r {
				if v != nil {
					b.WriteString(*v)
				}
				b.WriteByte('|')
			}
			b.WriteByte('\n')
		}
		return b.String()
	}
	a, b, c := rows("a"), rows("b"), rows("c")
	if strings.Count(a, "\n") != 1000 || a != b {
		t.Errorf("seed 5 twice: %d and %d rows, equal %v", strings.Count(a, "\n"), strings.Count(b, "\n"), a == b)
	}
	if a == c {
		t.Error("seeds 5 and 6 wrote the same rows")
	}
}

// zbemu gen --via grpc recovers through every fault that ends or refuses
// a stream: it retries, reopens and resends what was not acknowledged,
// so the table holds each record once. The rate spreads the records over
// a few seconds so that a close fault's signal arrives while records are
// still to be sent; the counts, not the time, are asserted.
func TestGenGRPCRecoversFromFaults(t *testing.T) {
	t.Parallel()
	s := startServer(t, "", "--memory")
	const n = 6000
	tests := []struct {
		name             string
		fault            map[string]any
		retries, reopens int
	}{
		{"rate-limit at stream creation", map[string]any{"kind": "rate-limit", "count": 2}, 2, 0},
		{"unavailable at stream creation", map[string]any{"kind": "unavailable", "count": 2}, 2, 0},
		{"CloseStreamSignal moves to a new stream", map[string]any{"kind": "close", "count": 1, "signal_duration": "30s"}, 0, 1},
		{"stream timeout 6002 twice", map[string]any{"kind": "timeout", "count": 2}, 2, 2},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			table := fmt.Sprintf("main.genfault.t%d", i)
			tc.fault["table"] = table
			id := s.addFault(t, tc.fault)
			out, errOut, code := runGenCLI(t, s, "iot", "--table", table, "--create", "--via", "grpc",
				"--count", strconv.Itoa(n), "--rate", "2000", "--anomaly-rate", "0", "--seed", "7")
			if code != 0 {
				t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
			}
			if acked, failed := summaryCount(t, out, "acked"), summaryCount(t, out, "failed"); acked != n || failed != 0 {
				t.Errorf("acked %d, failed %d; want %d and 0:\n%s", acked, failed, n, out)
			}
			if r := summaryCount(t, out, "retries"); r != tc.retries {
				t.Errorf("summary counts %d retries, want %d:\n%s", r, tc.retries, out)
			}
			if r := summaryCount(t, out, "reopens"); r != tc.reopens {
				t.Errorf("summary counts %d reopened streams, want %d:\n%s", r, tc.reopens, out)
			}
			if hits, active := s.faultHits(t)[id]; active {
				t.Errorf("fault %s still active with %d hits; gen should have used it up", id, hits)
			}
			r := s.sql("SELECT count(*), count(DISTINCT (device_id, seq)) FROM " + table)[0]
			if got, want := *r[0]+" "+*r[1], fmt.Sprintf("%d %d", n, n); got != want {
				t.Errorf("rows, distinct (device_id, seq) = %s; want %s (no record lost or duplicated)", got, want)
			}
		})
	}
}
