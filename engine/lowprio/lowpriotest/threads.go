// Package lowpriotest reads the process's threads' nice values and CPU
// time from /proc (Linux), so that tests of package lowprio and of its
// users count which threads run at which priority instead of timing
// anything.
package lowpriotest

import (
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
)

// Main runs a package's tests with the main goroutine locked to the main
// thread; call it from TestMain in packages whose tests count threads. A
// background goroutine that ended on the main thread would leave that
// thread parked at its nice value for good (the runtime cannot end the
// main thread), and the counts would be off by one.
func Main(m *testing.M) int {
	runtime.LockOSThread()
	return m.Run()
}

// Thread is one OS thread of this process, from /proc/self/task/<tid>/stat
// (https://man7.org/linux/man-pages/man5/proc_pid_stat.5.html).
type Thread struct {
	TID  int
	Nice int
	// Ticks is the CPU time the thread has used (utime + stime), in clock
	// ticks.
	Ticks int64
}

// Threads lists the process's threads; those that end while it reads are
// left out.
func Threads(t testing.TB) []Thread {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/task")
	if err != nil {
		t.Fatal(err)
	}
	var out []Thread
	for _, ent := range ents {
		tid, err := strconv.Atoi(ent.Name())
		if err != nil {
			continue
		}
		if th, ok := Read(t, tid); ok {
			out = append(out, th)
		}
	}
	return out
}

// Read reads one thread; ok is false if it has ended.
func Read(t testing.TB, tid int) (th Thread, ok bool) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("/proc/self/task", strconv.Itoa(tid), "stat"))
	if os.IsNotExist(err) || (err != nil && strings.Contains(err.Error(), "no such process")) {
		return Thread{}, false
	}
	if err != nil {
		t.Fatal(err)
	}
	// The command name (field 2) is in parentheses and may hold spaces;
	// fields[0] is field 3.
	s := string(b)
	fields := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	num := func(field int) int64 {
		n, err := strconv.ParseInt(fields[field-3], 10, 64)
		if err != nil {
			t.Fatalf("thread %d stat field %d: %v", tid, field, err)
		}
		return n
	}
	return Thread{TID: tid, Nice: int(num(19)), Ticks: num(14) + num(15)}, true
}

// At counts the threads at nice value nice.
func At(t testing.TB, nice int) int {
	t.Helper()
	n := 0
	for _, th := range Threads(t) {
		if th.Nice == nice {
			n++
		}
	}
	return n
}
