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
	cmd := exec.CommandContext(ctx, "make", "-s", "-C", "..", "conform", "TARGET="+h.url, "REPORTS="+dir,
		"GINKGO_CLI="+filepath.Join(dir, "ginkgo"), "CONFORM_PROCS=2", "CONFORM_ARGS=--timeouts request=1h,spec=1h")
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
	h.waitConn(t)
	if _, err := master.Write([]byte{3}); err != nil { // ^C: SIGINT to the terminal's foreground job
		t.Fatal(err)
	}
	err = cmd.Wait()
	// make has returned: the reports must be there now.
	for _, f := range []string{"conformance-report.json", "conformance-report.md", "conformance-junit.xml", "conformance-ginkgo.json"} {
		if _, serr := os.Stat(filepath.Join(dir, f)); serr != nil {
			t.Errorf("make returned (%v) before %s was written\n%s", err, f, out)
		}
	}
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 2 {
		t.Errorf("make conform after Ctrl-C: %v, want exit status 2\n%s", err, out)
	}
	var rep conformance.Report
	b, _ := os.ReadFile(filepath.Join(dir, "conformance-report.json"))
	if jerr := json.Unmarshal(b, &rep); jerr != nil || rep.Interrupted == nil || rep.Interrupted.Cause != conformance.InterruptSignal {
		t.Errorf("report not marked interrupted by a signal: %v %+v\n%s", jerr, rep.Interrupted, out)
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
