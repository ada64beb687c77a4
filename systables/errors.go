package systables

import "github.com/zbemu/zbemu/engine"

// The package's error catalogue. Each sentinel also matches the engine
// category (errors.Is) that package web maps to a wire status, so the
// store needs no mapping of its own.
var (
	// ErrClosed: the store was closed.
	ErrClosed error = &categoryError{"system tables are closed", engine.ErrClosed}
	// ErrUnknownTable: a read named a table that is not a system table.
	ErrUnknownTable error = &categoryError{"no such system table", engine.ErrTableNotFound}
)

// categoryError is a sentinel with its own text that unwraps to the engine
// category it belongs to.
type categoryError struct {
	msg      string
	category error
}

func (e *categoryError) Error() string { return e.msg }
func (e *categoryError) Unwrap() error { return e.category }
