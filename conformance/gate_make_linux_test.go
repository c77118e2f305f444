package conformance_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"github.com/workbinkit/workbinkit/conformance"
)

// TestMakeConformCtrlC runs `make conform` on a terminal (a pseudo-terminal, as a user's
// shell would) against a target that never answers, types Ctrl-C once the run is in its
// set-up, and checks that make returned only after every report was written, marked
// interrupted. (GNU make exits at once on SIGINT without waiting for its recipe; the
// recipe keeps the run in a job of its own so that Ctrl-C reaches only the run.)
func TestMakeConformCtrlC(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: builds the ginkgo CLI and runs make conform")
	}
	if _, err := exec.LookPath("make"); err != nil {
		t.Skip("no make")
	}
	master, slave, err := openPTY()
	if err != nil {
		t.Skipf("no pseudo-terminal: %v", err)
	}
	defer master.Close()
	h := startHangingTarget(t)
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	cmd := makeConform(ctx, h.url, dir)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = slave, slave, slave
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	slave.Close()
	out := &syncBuffer{}
	go func() {
		buf := make([]byte, 4096)
		for {
			n, err := master.Read(buf)
			out.Write(buf[:n])
			if err != nil {
				return
			}
		}
	}()
	r := waitInBackground(cmd)
	h.waitConn(t, r, out)
	if _, err := master.Write([]byte{3}); err != nil { // ^C: SIGINT to the terminal's foreground job
		t.Fatal(err)
	}
	checkMadeReports(t, dir, r.wait(), "SIGINT", out)
}

// TestMakeConformSIGTERM sends SIGTERM to make alone, without a terminal, as a CI runner
// cancelling a job may: make passes it to its recipe only, and the run must still stop
// at once and write its reports before make returns. The signal is makeConform's Cancel,
// so that the tests' own bound stops a run the same way.
func TestMakeConformSIGTERM(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: builds the ginkgo CLI and runs make conform")
	}
	if _, err := exec.LookPath("make"); err != nil {
		t.Skip("no make")
	}
	h := startHangingTarget(t)
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	cmd := makeConform(ctx, h.url, dir)
	out := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // no terminal, a group of its own
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	r := waitInBackground(cmd)
	h.waitConn(t, r, out)
	cancel() // makeConform's Cancel: SIGTERM to make
	checkMadeReports(t, dir, r.wait(), "SIGTERM", out)
}

// makeConform is make conform against target with the reports and built tools in dir,
// on two processes, with timeouts only the interruption can end. When ctx ends, make gets
// SIGTERM, which its recipe (jobrun) forwards to the ginkgo CLI and the suite: they run in
// a process group of their own, so exec's default SIGKILL to make alone would leave them
// running. WaitDelay bounds the wait for them after that (then make is killed).
func makeConform(ctx context.Context, target, dir string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, "make", "-s", "-C", "..", "conform", "TARGET="+target, "REPORTS="+dir,
		"GINKGO_CLI="+filepath.Join(dir, "ginkgo"), "CONFORM_PROCS=2", "CONFORM_ARGS=--timeouts request=1h,spec=1h")
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = time.Minute
	return cmd
}

// checkMadeReports checks, once make has returned (err), that every report is there and
// says the run was interrupted by sig.
func checkMadeReports(t *testing.T, dir string, err error, sig string, out *syncBuffer) {
	t.Helper()
	for _, f := range []string{"conformance-report.json", "conformance-report.md", "conformance-junit.xml", "conformance-ginkgo.json"} {
		if _, serr := os.Stat(filepath.Join(dir, f)); serr != nil {
			t.Errorf("make returned (%v) before %s was written\n%s", err, f, out)
		}
	}
	// make answers Ctrl-C's failed recipe with 2; a SIGTERM of its own it re-raises once
	// its recipe has ended, and dies of it.
	ee, ok := err.(*exec.ExitError)
	switch {
	case !ok:
		t.Errorf("make conform after %s: %v\n%s", sig, err, out)
	case sig == "SIGTERM":
		if ws, _ := ee.Sys().(syscall.WaitStatus); !ws.Signaled() || ws.Signal() != syscall.SIGTERM {
			t.Errorf("make conform after SIGTERM: %v, want make ended by SIGTERM\n%s", err, out)
		}
	case ee.ExitCode() != 2:
		t.Errorf("make conform after %s: %v, want exit status 2\n%s", sig, err, out)
	}
	var rep conformance.Report
	b, _ := os.ReadFile(filepath.Join(dir, "conformance-report.json"))
	if jerr := json.Unmarshal(b, &rep); jerr != nil || rep.Interrupted == nil || rep.Interrupted.Reason != "interrupted by "+sig {
		t.Errorf("report not marked interrupted by %s: %v %+v\n%s", sig, jerr, rep.Interrupted, out)
	}
}

// openPTY opens a pseudo-terminal pair (Linux /dev/ptmx).
func openPTY() (master, slave *os.File, err error) {
	master, err = os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY|syscall.O_CLOEXEC, 0)
	if err != nil {
		return nil, nil, err
	}
	var unlock int32
	if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, master.Fd(), syscall.TIOCSPTLCK, uintptr(unsafe.Pointer(&unlock))); e != 0 {
		master.Close()
		return nil, nil, fmt.Errorf("unlockpt: %w", e)
	}
	var n uint32
	if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, master.Fd(), syscall.TIOCGPTN, uintptr(unsafe.Pointer(&n))); e != 0 {
		master.Close()
		return nil, nil, fmt.Errorf("ptsname: %w", e)
	}
	slave, err = os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		master.Close()
		return nil, nil, err
	}
	return master, slave, nil
}
