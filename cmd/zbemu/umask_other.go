//go:build !unix

package main

// restrictUmask does nothing where there is no umask; privateDataDir and
// the explicit modes of the libraries still apply.
func restrictUmask() {}
