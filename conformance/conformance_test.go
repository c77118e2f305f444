package conformance_test

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"
	"testing"

	// The ginkgo CLI runs a package as a Ginkgo suite (parallel processes, its reports,
	// the arguments after --) only if one of its _test.go files imports Ginkgo.
	"github.com/onsi/ginkgo/v2"

	"github.com/workbinkit/workbinkit/conformance"
)

// flags are the suite's command-line flags (go test ./conformance -args --target …, or
// bin/conformance.test --target …). Registered at init, read after parsing.
var flags = conformance.RegisterFlags(flag.CommandLine)

// signals watches SIGINT and SIGTERM for a suite run and is handed to the suite. A
// process of a parallel run (the ginkgo CLI starts them all at once, and Ctrl-C or a
// forwarded SIGTERM reaches them all) watches from package initialisation on: one that
// died of a signal before listening would leave the run without reports, since process 1
// then cannot gather the run's report. Others start in TestMain, once it is known to be a
// suite run.
var signals = parallelProcessSignals()

func parallelProcessSignals() *conformance.SignalWatch {
	for _, a := range os.Args[1:] {
		if strings.HasPrefix(strings.TrimLeft(a, "-"), "ginkgo.parallel.process") {
			return conformance.WatchSignals()
		}
	}
	return nil
}

// TestMain is the gate. The suite's entry (TestConformance) shares the package with its
// unit tests, so that bin/conformance.test, the ginkgo CLI and go test reach it alike;
// Flags.SuiteRequested tells the two kinds of run apart. A suite run without a target
// (no --target and no --config, or --target= left empty by an unset CI variable) or
// with invalid options is a usage error: one line on stderr and exit 2, before any
// test runs, never a silent PASS. A suite run runs TestConformance only (not the unit
// tests, which would need a Go toolchain on a vendor's machine). go test without the
// suite's flags (make test) runs the unit tests only.
func TestMain(m *testing.M) {
	flag.Parse()
	run, err := flags.Check(conformance.InvokedByGoTest(flag.CommandLine))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		var ue *conformance.UsageError
		if errors.As(err, &ue) {
			os.Exit(conformance.ExitUsage)
		}
		os.Exit(1)
	}
	if run && signals == nil {
		// From here on SIGINT and SIGTERM no longer kill a suite run: one that comes
		// before Ginkgo listens ends the run with its reports instead (RunConformance).
		// Unit-test runs keep the default.
		signals = conformance.WatchSignals()
	}
	if run && flag.Lookup("test.run").Value.String() == "" {
		if err := flag.Set("test.run", "^TestConformance$"); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}
	os.Exit(m.Run())
}

// TestConformance runs the Ginkgo suite against --target (or the target of --config).
// Under go test without the suite's flags it is skipped (TestMain let only the unit tests
// through), so that `go test ./...` stays self-contained.
func TestConformance(t *testing.T) {
	run, err := flags.Check(conformance.InvokedByGoTest(flag.CommandLine))
	if err != nil {
		t.Fatal(err) // TestMain exits first; kept for a caller that skips TestMain
	}
	if !run {
		t.Skip("go test without --target or --config runs the unit tests only; the suite: go test ./conformance -args --target=https://host:port (see docs/conformance.md)")
	}
	opts, err := flags.Options()
	if err != nil {
		t.Fatal(err)
	}
	if flags.ListNeeds() {
		suiteCfg, _ := ginkgo.GinkgoConfiguration() // -ginkgo.label-filter, focus and skip
		needs, err := conformance.ListNeeds(opts, suiteCfg)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Print(needs)
		return
	}
	conformance.RunConformance(t, opts, conformance.WithSignals(signals))
}
