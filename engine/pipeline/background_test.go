//go:build linux

package pipeline_test

import (
	"context"
	"testing"
	"time"

	"github.com/zbemu/zbemu/engine"
	"github.com/zbemu/zbemu/engine/lowprio/lowpriotest"
	"github.com/zbemu/zbemu/engine/pipeline"
)

// A continuous update runs on a thread of its own at the engine's
// background nice value, beside the materialiser's, and the thread ends
// with the update.
func TestUpdateRunsOnABackgroundThread(t *testing.T) {
	nice := engine.DefaultBackgroundNice
	waitAt := func(want int) {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for lowpriotest.At(t, nice) != want {
			if time.Now().After(deadline) {
				t.Fatalf("%d threads at nice %d, want %d", lowpriotest.At(t, nice), nice, want)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	base := lowpriotest.At(t, nice)
	v := openEnv(t, t.TempDir())
	waitAt(base + 2) // the materialiser and the ingest log's zero-ahead
	v.setUpLab()
	p := v.create("cont", `CREATE OR REFRESH STREAMING TABLE kept AS SELECT * FROM STREAM(main.lab.raw)`, true)
	u, err := v.m.StartUpdate(context.Background(), admin, p.ID, false)
	if err != nil {
		t.Fatal(err)
	}
	v.waitUpdate(p.ID, u.ID, func(u pipeline.Update) bool { return u.State == pipeline.UpdateRunning })
	waitAt(base + 3)
	if err := v.m.Stop(context.Background(), admin, p.ID); err != nil {
		t.Fatal(err)
	}
	waitAt(base + 2)
	v.close()
	waitAt(base)
}
