package conformance_test

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"testing"

	// The ginkgo CLI runs a package as a Ginkgo suite (parallel processes, its reports,
	// the arguments after --) only if one of its _test.go files imports Ginkgo.
	_ "github.com/onsi/ginkgo/v2"

	"github.com/workbinkit/workbinkit/conformance"
)

// flags are the suite's command-line flags (go test ./conformance -args --target …, or
// bin/conformance.test --target …). Registered at init, read after parsing.
var flags = conformance.RegisterFlags(flag.CommandLine)

// TestMain refuses a suite run without a target before any test runs: bin/conformance.test
// or the ginkgo CLI without --target/--config, or with --target= left empty by an unset CI
// variable, is a usage error (exit 2), never a silent PASS. go test without the suite's
// flags runs the unit tests only.
func TestMain(m *testing.M) {
	flag.Parse()
	if _, err := flags.Check(conformance.InvokedByGoTest(flag.CommandLine)); err != nil {
		fmt.Fprintln(os.Stderr, err)
		var ue *conformance.UsageError
		if errors.As(err, &ue) {
			os.Exit(conformance.ExitUsage)
		}
		os.Exit(1)
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
		t.Skip("go test without --target or --config runs the unit tests only; the suite: go test ./conformance -args --target=https://host:port (see the README)")
	}
	opts, err := flags.Options()
	if err != nil {
		t.Fatal(err)
	}
	if flags.ListNeeds() {
		fmt.Print(conformance.ListNeeds(opts))
		return
	}
	conformance.RunConformance(t, opts)
}
