//go:build unix

package conformance

import (
	"errors"
	"os"
	"os/exec"
	"syscall"
)

// ownProcessGroup makes cmd the leader of a process group of its own, and its Cancel (at
// timeouts.provision) kill that whole group: exec.CommandContext alone kills only the
// program, and a child it started (a sleep in a shell script, a helper holding its
// output) would outlive the call.
func ownProcessGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error {
		gerr := killProcessGroup(cmd)
		kerr := cmd.Process.Kill() // the program too, should it have left its group
		if gerr == nil {
			return nil
		}
		return kerr
	}
}

// killProcessGroup sends SIGKILL to cmd's process group; os.ErrProcessDone when no process
// is left in it.
func killProcessGroup(cmd *exec.Cmd) error {
	if cmd.Process == nil || cmd.Process.Pid <= 0 {
		return os.ErrProcessDone
	}
	err := syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	if errors.Is(err, syscall.ESRCH) {
		return os.ErrProcessDone
	}
	return err
}
