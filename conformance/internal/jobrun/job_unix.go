//go:build unix

package main

import (
	"os"
	"os/exec"
	"os/signal"
	"syscall"
	"unsafe"
)

// runJob starts cmd in a process group of its own, in the terminal's foreground when
// jobrun is there, passes the signals jobrun gets to the group, and waits.
func runJob(cmd *exec.Cmd) error {
	// Taking the terminal back from a background group would stop jobrun (SIGTTOU).
	signal.Ignore(syscall.SIGTTOU, syscall.SIGTTIN)
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	defer signal.Stop(sigs)

	attr := &syscall.SysProcAttr{Setpgid: true}
	// The terminal goes to the job only when jobrun is in its foreground (not under
	// `make conform &`, nor without a terminal, as in CI).
	if tty, err := os.Open("/dev/tty"); err == nil {
		defer tty.Close()
		if fg, ok := foreground(tty); ok && fg == syscall.Getpgrp() {
			attr.Foreground, attr.Ctty = true, int(tty.Fd())
			defer setForeground(tty, syscall.Getpgrp()) // the terminal back to make's group
		}
	}
	cmd.SysProcAttr = attr
	if err := cmd.Start(); err != nil {
		return err
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	for {
		select {
		case err := <-done:
			return err
		case s := <-sigs:
			_ = syscall.Kill(-cmd.Process.Pid, s.(syscall.Signal)) // the group: the CLI and the suite's processes
		}
	}
}

// foreground returns the terminal's foreground process group.
func foreground(tty *os.File) (int, bool) {
	var pgrp int32
	if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, tty.Fd(), syscall.TIOCGPGRP, uintptr(unsafe.Pointer(&pgrp))); e != 0 {
		return 0, false
	}
	return int(pgrp), true
}

func setForeground(tty *os.File, pgrp int) {
	p := int32(pgrp)
	_, _, _ = syscall.Syscall(syscall.SYS_IOCTL, tty.Fd(), syscall.TIOCSPGRP, uintptr(unsafe.Pointer(&p)))
}

// exitStatus is the command's exit status, or 128+n when signal n ended it.
func exitStatus(ee *exec.ExitError) int {
	if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return 128 + int(ws.Signal())
	}
	return ee.ExitCode()
}
