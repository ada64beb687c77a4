//go:build unix

package main

import "syscall"

// restrictUmask sets the process umask to privateUmask (see datadir.go).
func restrictUmask() { syscall.Umask(privateUmask) }
