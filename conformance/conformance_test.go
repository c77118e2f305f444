package conformance_test

import (
	"flag"
	"fmt"
	"testing"

	// The ginkgo CLI runs a package as a Ginkgo suite (parallel processes, its reports,
	// the arguments after --) only if one of its _test.go files imports Ginkgo.
	_ "github.com/onsi/ginkgo/v2"

	"github.com/workbinkit/workbinkit/conformance"
)

// flags are the suite's command-line flags (go test ./conformance -args --target …, or
// bin/conformance.test --target …). Registered at init, read after parsing.
var flags = conformance.RegisterFlags(flag.CommandLine)

// TestConformance runs the Ginkgo suite against --target (or the target of --config). It
// is skipped when neither is given, so that `go test ./...` stays self-contained.
func TestConformance(t *testing.T) {
	if flags.ListNeeds() {
		opts, err := flags.Options()
		if err != nil {
			t.Fatal(err)
		}
		fmt.Print(conformance.ListNeeds(opts))
		return
	}
	if !flags.Configured() {
		t.Skip("no --target or --config given: the conformance suite needs a target (see docs/conformance.md)")
	}
	opts, err := flags.Options()
	if err != nil {
		t.Fatal(err)
	}
	conformance.RunConformance(t, opts)
}
