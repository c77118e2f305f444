//go:build !unix

package conformance

import (
	"os"
	"os/exec"
)

// ownProcessGroup leaves cmd as it is: without process groups, exec.CommandContext's
// default Cancel kills the program (not what it started), and WaitDelay bounds the wait
// for output a child may hold open.
func ownProcessGroup(*exec.Cmd) {}

// killProcessGroup has no group to kill here.
func killProcessGroup(*exec.Cmd) error { return os.ErrProcessDone }
