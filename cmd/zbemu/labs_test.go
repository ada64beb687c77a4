package main

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/zbemu/zbemu/fixtures/labs"
	"github.com/zbemu/zbemu/fixtures/zbclient"
)

// TestLabs runs every workshop lab document, step by step, against a
// fresh server of its own, as a learner would follow it. A section that
// waits for a capability zbemu does not have yet is a skipped subtest,
// and a failure in CI unless ZBEMU_LABS_ALLOW_PENDING=1 (see package
// labs' doc).
func TestLabs(t *testing.T) {
	t.Parallel()
	all, err := labs.All()
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range all {
		t.Run(l.Name, func(t *testing.T) {
			t.Parallel() // each lab has a server of its own
			rep := runLabDoc(t, l)
			reportLab(t, rep)
		})
	}
}

// runLabDoc runs one lab against a fresh server and returns its report.
func runLabDoc(t *testing.T, l *labs.Lab) *labs.Report {
	t.Helper()
	s := startServer(t, "")
	var log strings.Builder
	r := &labs.Runner{Client: labs.Client{REST: zbclient.REST{URL: s.url, Token: devToken}}, Zbemu: binPath, WorkDir: t.TempDir(),
		Env: os.Environ(), Log: &log}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	rep, err := r.Run(ctx, l)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("steps:\n%s", log.String())
	return rep
}

// reportLab turns a report into subtests: one per section and one for
// the lab's checks.
func reportLab(t *testing.T, rep *labs.Report) {
	allowPending := os.Getenv("CI") == "" || os.Getenv("ZBEMU_LABS_ALLOW_PENDING") == "1"
	for i, sec := range rep.Sections {
		if len(sec.Steps) == 0 {
			continue
		}
		t.Run(fmt.Sprintf("%02d-%s", i, sec.Title), func(t *testing.T) {
			var skips []string
			for _, st := range sec.Steps {
				where := fmt.Sprintf("%s.md:%d (%s)", rep.Lab.Name, st.Block.Line, st.Block.Lang)
				switch st.Status {
				case labs.Failed:
					t.Errorf("%s failed: %s\n--- step:\n%s--- output:\n%s", where, strings.Join(st.Problems, "; "), st.Block.Body, st.Outcome.Output)
				case labs.NotRun:
					t.Logf("%s not run: %s", where, st.Reason)
				case labs.Pending, labs.Skipped:
					msg := fmt.Sprintf("%s %s: %s", where, st.Status, st.Reason)
					if st.Status == labs.Pending && !allowPending {
						t.Error(msg + " (CI: set ZBEMU_LABS_ALLOW_PENDING=1 to allow)")
						continue
					}
					skips = append(skips, msg)
				}
			}
			if len(skips) > 0 && !t.Failed() {
				t.Skip(strings.Join(skips, "\n"))
			}
		})
	}
	t.Run("checks", func(t *testing.T) {
		if len(rep.Lab.Checks) == 0 {
			t.Fatal("the lab has no check block: its Expected Outcome is not checked")
		}
		var skips []string
		for _, c := range rep.Checks {
			switch c.Status {
			case labs.Failed:
				t.Errorf("check %s: %s (hint: %s)", c.Check, c.Detail, c.Check.Hint)
			case labs.Pending:
				if !allowPending {
					t.Errorf("check %s pending: %s", c.Check, c.Detail)
					continue
				}
				skips = append(skips, fmt.Sprintf("check %s pending: %s", c.Check, c.Detail))
			}
		}
		if len(skips) > 0 && !t.Failed() {
			t.Skip(strings.Join(skips, "\n"))
		}
	})
}
