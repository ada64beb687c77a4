//go:build !linux

package lowprio

import "errors"

// lower is not available: outside Linux nice values belong to the process.
func lower(int) error {
	return errors.New("per-thread nice values are only supported on Linux")
}
