package lowprio

import "golang.org/x/sys/unix"

// lower raises the calling thread's nice value; on Linux PRIO_PROCESS with
// a thread id applies to that thread only.
func lower(nice int) error {
	return unix.Setpriority(unix.PRIO_PROCESS, unix.Gettid(), nice)
}
