//go:build race

package engine

// raceEnabled is set when the tests run under the race detector, whose
// instrumentation changes what allocations cost (and sync.Pool drops items
// at random); allocation-counting tests skip then.
const raceEnabled = true
