// Command jobrun runs a command as a job of its own and waits for it: make conform runs
// the ginkgo CLI through it, so that make returns only after the suite has written its
// reports.
//
// GNU make exits at once on SIGINT without waiting for its recipe, and passes SIGTERM to
// its recipe only; the ginkgo CLI does not pass a signal on to the suite's processes. So
// jobrun puts the command in a process group of its own. At a terminal it gives that
// group the terminal: Ctrl-C then reaches the ginkgo CLI and the suite's processes, not
// make, which keeps waiting. A SIGINT, SIGTERM or SIGHUP that reaches jobrun itself (make's
// SIGTERM, a CI runner's) is passed to the whole group. jobrun exits with the command's
// status (128+n when a signal n ended it).
//
// Usage: jobrun COMMAND [ARG…]
package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: jobrun COMMAND [ARG…]")
		os.Exit(2)
	}
	cmd := exec.Command(os.Args[1], os.Args[2:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	err := runJob(cmd)
	var ee *exec.ExitError
	switch {
	case err == nil:
		os.Exit(0)
	case errors.As(err, &ee):
		os.Exit(exitStatus(ee))
	}
	fmt.Fprintln(os.Stderr, "jobrun:", err)
	os.Exit(1)
}
