package ingestlog

import (
	"fmt"
	"os"
	"sync"
)

// Zero-ahead: a fresh segment is preallocated with fallocate, which
// reserves blocks as unwritten extents. The first write into an unwritten
// block converts its extent, a metadata change, so every fdatasync of a
// batch in a fresh segment also writes the file's extent metadata: two
// dependent writes per ack instead of one (measured on this project's ext4
// VM: fdatasync of a 13 KB batch p50 1.3–2.5 ms into fallocated space,
// 0.8–1.3 ms into blocks already written). A recycled segment has no
// unwritten extents; the zeroer gives fresh ones the same property ahead of
// the writer: it writes zeros a chunk at a time into the part of the
// newest segment the writer has not reached yet and syncs them (the
// extents convert then, once per chunk), on its own goroutine
// (Options.Go, which the engine runs at low CPU priority).
//
// Invariant: the zeroer never writes below the writer's high-water mark
// (hw, announced before each write) and the writer never writes into the
// chunk the zeroer is writing (it waits for that pwrite, a page-cache copy
// of at most zeroChunk bytes; the sync that follows holds nothing). So
// zeros never overwrite a batch, and the bytes past the last batch read as
// zeros whether or not the zeroer got there (the torn-tail rules of Open
// are unchanged).
const (
	zeroChunk = 256 << 10
	zeroLead  = 4 << 20 // how far ahead of the writer the zeroer goes
)

// zeroer is the writer-side state of zero-ahead; mu guards all of it.
type zeroer struct {
	mu   sync.Mutex
	cond *sync.Cond
	f    *os.File // the newest segment, nil while none (or closed)
	gen  uint64   // changes whenever f, its size or its tail changes
	size int64
	hw   int64 // the writer writes only below hw
	to   int64 // the zeroer's frontier: zeros (or batches) below it
	// busyFrom..busyTo is the chunk being written, when busy; syncing
	// while the zeroer syncs f (which must stay open meanwhile).
	busy             bool
	busyFrom, busyTo int64
	syncing          bool
	stopped          bool

	kick chan struct{}
	done chan struct{}
	// failed reports a zeroing failure (the writer is unaffected: it
	// then writes into unwritten blocks as without zero-ahead).
	failed func(error)
}

func newZeroer(start func(func()), failed func(error)) *zeroer {
	z := &zeroer{kick: make(chan struct{}, 1), done: make(chan struct{}), failed: failed}
	z.cond = sync.NewCond(&z.mu)
	start(z.run)
	return z
}

// use makes f (of size bytes, whose bytes below written need no zeroing)
// the segment to zero ahead in, or none if f is nil; it waits for a chunk
// in progress, which may be in the previous file (so the caller may close
// that file once use returns).
func (z *zeroer) use(f *os.File, size, written int64) {
	z.mu.Lock()
	for z.busy || z.syncing {
		z.cond.Wait()
	}
	z.f, z.size, z.hw, z.to = f, size, written, written
	z.gen++
	z.mu.Unlock()
	z.poke()
}

// announce is called by the writer before it writes below hw; it waits
// while the zeroer writes into that range.
func (z *zeroer) announce(from, hw int64) {
	z.mu.Lock()
	for z.busy && from < z.busyTo && hw > z.busyFrom {
		z.cond.Wait()
	}
	z.hw = max(z.hw, hw)
	ahead := z.to < z.hw+zeroLead && z.to < z.size
	z.mu.Unlock()
	if ahead {
		z.poke()
	}
}

func (z *zeroer) poke() {
	select {
	case z.kick <- struct{}{}:
	default:
	}
}

// stop ends the zeroer's goroutine and waits for it.
func (z *zeroer) stop() {
	z.mu.Lock()
	z.stopped = true
	z.mu.Unlock()
	z.poke()
	<-z.done
}

func (z *zeroer) run() {
	defer close(z.done)
	zeros := make([]byte, zeroChunk)
	for range z.kick {
		for {
			z.mu.Lock()
			if z.stopped {
				z.f = nil
				z.mu.Unlock()
				return
			}
			// Start at a chunk boundary past the writer's mark, so
			// the writer's next batches rarely meet the chunk.
			from := max(z.to, (z.hw+zeroChunk-1)/zeroChunk*zeroChunk)
			if z.f == nil || from >= z.size || from >= z.hw+zeroLead {
				z.mu.Unlock()
				break
			}
			f, gen, to := z.f, z.gen, min(from+zeroChunk, z.size)
			z.busy, z.busyFrom, z.busyTo = true, from, to
			z.mu.Unlock()
			_, err := f.WriteAt(zeros[:to-from], from)
			z.mu.Lock()
			z.busy, z.syncing = false, err == nil
			z.cond.Broadcast()
			if err == nil && gen == z.gen {
				z.to = to
			}
			z.mu.Unlock()
			if err == nil {
				// Converts the chunk's extents now, off the ack path;
				// the writer may write meanwhile, but not close f.
				err = datasync(f)
				z.mu.Lock()
				z.syncing = false
				z.cond.Broadcast()
				z.mu.Unlock()
			}
			if err != nil {
				// A failed zeroing costs nothing but its purpose: stop
				// zeroing this segment and report it.
				z.mu.Lock()
				if gen == z.gen {
					z.to = z.size
				}
				z.mu.Unlock()
				if z.failed != nil {
					z.failed(fmt.Errorf("zero ingest log segment ahead of the writer: %w", err))
				}
			}
		}
	}
}
