package dialect

import (
	"errors"
	"fmt"
)

// Sentinel errors. Every error returned by this package wraps exactly one
// of them, so callers branch with errors.Is and show err.Error() to the
// learner unchanged.
var (
	// ErrSyntax means the text is not valid Databricks SQL (or not the
	// subset zbemu parses). The concrete error is a *SyntaxError.
	ErrSyntax = errors.New("syntax error")

	// ErrUnsupported means the text is valid Databricks SQL that zbemu
	// deliberately does not implement. The concrete error is an
	// *UnsupportedError naming the construct.
	ErrUnsupported = errors.New("unsupported")
)

// SyntaxError reports where a statement stopped making sense. Line and
// Column are 1-based; Column counts Unicode characters, not bytes, because
// learners count what they see in the editor.
type SyntaxError struct {
	Line, Column int
	Msg          string
}

// Error formats the position first, the way editors print compiler errors.
func (e *SyntaxError) Error() string {
	return fmt.Sprintf("syntax error at line %d, column %d: %s", e.Line, e.Column, e.Msg)
}

// Unwrap returns ErrSyntax.
func (e *SyntaxError) Unwrap() error { return ErrSyntax }

// UnsupportedError reports Databricks SQL that zbemu recognises but does
// not implement.
type UnsupportedError struct {
	// Kind is what sort of construct it is: "statement", "clause",
	// "column option", "securable", "syntax", "function" or "type".
	Kind string
	// Construct names it as the learner would look it up in the Databricks
	// SQL reference, e.g. "OPTIMIZE" or "GENERATED ALWAYS AS".
	Construct string
	// Hint optionally says why, or what to do instead.
	Hint string
}

// Error names the construct and says plainly that zbemu does not implement
// it, so a learner does not mistake it for a typo.
func (e *UnsupportedError) Error() string {
	if e.Hint != "" {
		return fmt.Sprintf("unsupported %s: %s (zbemu does not implement it; %s)", e.Kind, e.Construct, e.Hint)
	}
	return fmt.Sprintf("unsupported %s: %s (zbemu does not implement it)", e.Kind, e.Construct)
}

// Unwrap returns ErrUnsupported.
func (e *UnsupportedError) Unwrap() error { return ErrUnsupported }

func unsupported(kind, construct string) error {
	return &UnsupportedError{Kind: kind, Construct: construct}
}
