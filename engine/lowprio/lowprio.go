package lowprio

import (
	"fmt"
	"runtime"
)

// MaxNice is the highest (least favoured) nice value.
const MaxNice = 19

// Go runs f on a new goroutine locked to an OS thread of its own whose nice
// value is raised by nice (1..MaxNice); the thread ends when f returns.
// With nice 0 f runs on an ordinary goroutine. If the priority cannot be
// changed, f still runs, at the ordinary priority, and onErr (if not nil)
// receives the reason first.
func Go(nice int, onErr func(error), f func()) {
	if nice == 0 {
		go f()
		return
	}
	go func() {
		// Never unlocked: see the package documentation.
		runtime.LockOSThread()
		if err := lower(nice); err != nil && onErr != nil {
			onErr(fmt.Errorf("lower the priority of a background thread to nice %d: %w", nice, err))
		}
		f()
	}()
}

// Valid reports whether nice is a value Go accepts.
func Valid(nice int) bool { return nice >= 0 && nice <= MaxNice }
