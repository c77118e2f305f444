//go:build unix

package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// processCPUMicros is the user+system CPU time of this process.
func processCPUMicros() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return ru.Utime.Sec*1e6 + int64(ru.Utime.Usec) + ru.Stime.Sec*1e6 + int64(ru.Stime.Usec)
}

// processRSS reads the resident set size from /proc (0 where there is none).
func processRSS() int64 {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b))
	if len(f) < 2 {
		return 0
	}
	pages, err := strconv.ParseInt(f[1], 10, 64)
	if err != nil {
		return 0
	}
	return pages * int64(os.Getpagesize())
}

// rlimInfinity is RLIM_INFINITY as the Rlimit fields hold it.
const rlimInfinity = ^uint64(0)

// raiseFDLimit makes sure this process, and the servers it starts (they inherit the limit
// set here), may open need file descriptors, raising the soft RLIMIT_NOFILE up to the hard
// limit if it is lower.
func raiseFDLimit(need uint64) error {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return fmt.Errorf("reading RLIMIT_NOFILE: %w", err)
	}
	if lim.Max != rlimInfinity && lim.Max < need {
		return fmt.Errorf("need %d file descriptors but the hard limit (ulimit -Hn) is %d: raise it, or use fewer -sessions", need, lim.Max)
	}
	// Set it even when the soft limit looks high enough: the Go runtime raised it for this
	// process only, and an explicit Setrlimit is what the child processes inherit.
	lim.Cur = max(lim.Cur, need)
	if lim.Max != rlimInfinity {
		lim.Cur = lim.Max
	}
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return fmt.Errorf("raising RLIMIT_NOFILE to %d: %w", lim.Cur, err)
	}
	return nil
}

// machineBusyMicros is the CPU time all processes of the machine have used (user, nice,
// system, irq, softirq, steal) since boot, from /proc/stat, in microseconds; 0 where
// there is no /proc. It tells how much CPU other work took from a measurement.
func machineBusyMicros() int64 {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	if len(f) < 9 || f[0] != "cpu" {
		return 0
	}
	var busy int64
	for _, i := range []int{1, 2, 3, 6, 7, 8} { // user nice system irq softirq steal
		n, err := strconv.ParseInt(f[i], 10, 64)
		if err != nil {
			return 0
		}
		busy += n
	}
	const userHZ = 100 // the clock tick of /proc/stat on Linux
	return busy * (1e6 / userHZ)
}
