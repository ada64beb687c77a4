//go:build linux

package lowprio_test

import (
	"fmt"
	"os"
	"runtime"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/zbemu/zbemu/engine/lowprio"
	"github.com/zbemu/zbemu/engine/lowprio/lowpriotest"
)

func niceOf(t *testing.T, tid int) int {
	t.Helper()
	th, ok := lowpriotest.Read(t, tid)
	if !ok {
		t.Fatalf("thread %d has ended", tid)
	}
	return th.Nice
}

func TestGoRunsOnAThreadOfItsOwnAtTheNiceValue(t *testing.T) {
	tests := []struct {
		name string
		nice int
		want int // the nice value f's thread runs at
	}{
		{"off", 0, 0},
		{"nice 10", 10, 10},
		{"nice 19", 19, 19},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			base := lowpriotest.At(t, tt.nice)
			const workers = 3
			release := make(chan struct{})
			tids := make(chan int, workers)
			for range workers {
				lowprio.Go(tt.nice, func(err error) { t.Error(err) }, func() {
					tids <- unix.Gettid()
					<-release
				})
			}
			seen := map[int]bool{}
			for range workers {
				tid := <-tids
				if got := niceOf(t, tid); got != tt.want {
					t.Errorf("thread %d runs at nice %d, want %d", tid, got, tt.want)
				}
				seen[tid] = true
			}
			if tt.nice == 0 {
				close(release)
				return
			}
			if len(seen) != workers {
				t.Errorf("%d workers ran on %d threads, want one thread each", workers, len(seen))
			}
			if got := lowpriotest.At(t, tt.nice); got != base+workers {
				t.Errorf("%d threads at nice %d while the workers run, want %d", got, tt.nice, base+workers)
			}
			// The threads end with their goroutines: none is left at the
			// lowered priority to run other goroutines.
			// Checked by thread id: other threads may come and go meanwhile.
			close(release)
			deadline := time.Now().Add(30 * time.Second)
			for tid := range seen {
				for threadAlive(tid) {
					if time.Now().After(deadline) {
						t.Fatalf("thread %d (nice %d) still runs after its worker returned", tid, tt.nice)
					}
					time.Sleep(10 * time.Millisecond)
				}
			}
		})
	}
}

func TestGoKeepsOtherGoroutinesAtTheirPriority(t *testing.T) {
	done := make(chan struct{})
	lowprio.Go(15, func(err error) { t.Error(err) }, func() { close(done) })
	<-done
	// Goroutines started from now run on threads the runtime creates or
	// reuses; none of them may inherit the background thread's priority.
	const n = 200
	tids := make(chan int, n)
	for range n {
		go func() {
			runtime.Gosched()
			tids <- unix.Gettid()
		}()
	}
	for range n {
		if tid := <-tids; niceOf(t, tid) != 0 {
			t.Errorf("ordinary goroutine ran on thread %d at nice %d", tid, niceOf(t, tid))
		}
	}
}

// threadAlive reports whether this process still has thread tid.
func threadAlive(tid int) bool {
	_, err := os.Stat(fmt.Sprintf("/proc/self/task/%d", tid))
	return err == nil
}
