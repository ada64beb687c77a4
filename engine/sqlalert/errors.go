package sqlalert

import "github.com/zbemu/zbemu/engine"

// The package's error catalogue. Each sentinel also matches the engine
// category (errors.Is) that package web maps to a wire status.
var (
	// ErrInvalid: a field of a request is malformed; the message names it.
	ErrInvalid error = &categoryError{"invalid request", engine.ErrInvalidArgument}
	// ErrNotFound: no alert, query or destination with that id (or name,
	// for the zbemu alert API).
	ErrNotFound error = &categoryError{"not found", engine.ErrNotFound}
	// ErrExists: the zbemu alert API keys rules by name.
	ErrExists error = &categoryError{"alert already exists", engine.ErrAlreadyExists}
	// ErrDenied: the caller may not see or change the object.
	ErrDenied error = &categoryError{"permission denied", engine.ErrPermissionDenied}
	// ErrClosed: the manager was closed.
	ErrClosed error = &categoryError{"alerts are closed", engine.ErrClosed}
)

// categoryError is a sentinel with its own text that unwraps to the engine
// category it belongs to.
type categoryError struct {
	msg      string
	category error
}

func (e *categoryError) Error() string { return e.msg }
func (e *categoryError) Unwrap() error { return e.category }
