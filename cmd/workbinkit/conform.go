package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strings"

	"github.com/onsi/ginkgo/v2/types"

	"github.com/workbinkit/workbinkit/conformance"
)

const conformAbout = `Runs the conformance suite (the Ginkgo specs of package conformance) against a GWS
Workbins implementation, from this binary: no Go toolchain, no ginkgo CLI. It takes the
flags and the config file of the suite's test binary (bin/conformance.test, make conform),
Ginkgo's flags included (-ginkgo.label-filter, -ginkgo.junit-report, …; the common ones also
without the ginkgo. prefix), and writes the same reports:

  conformance report     --report-json, --report-markdown (default conformance-report.json
                         and conformance-report.md in the current directory; rules.md beside)
  JUnit XML, Ginkgo JSON --report-junit FILE, --report-ginkgo-json FILE (not written unless
                         given; written also when the run is interrupted or cut by --deadline)

  workbinkit conform --target http://127.0.0.1:8090                  # the mock's defaults
  workbinkit conform --config vendor.yaml --report-junit junit.xml   # a vendor's server

The config file names the target, the users, the workbins, the features claimed and how
interactions get into workbins (provisioning.mode): admin (the mock's control plane), list
(ids placed beforehand), api (Add of owned interactions), command (a program you give places
each one: the vendor's routing) or webhook (the same as an HTTP POST). See the README's
vendor section and docs for the file's fields and the hook's protocol.

The specs run in this one process (Ginkgo's -p needs the ginkgo CLI's parallel processes:
use make conform or ginkgo -p bin/conformance.test for that); the set-up's logins and
look-ups run at once. Ginkgo's own --junit-report and --json-report are there too (relative
to the current directory), but do not mark the specs an interrupted run did not reach.
`

// ginkgoAliases are Ginkgo flags a vendor also gets without the "ginkgo." prefix (as the
// ginkgo CLI spells them); none of them clashes with a flag of the suite.
var ginkgoAliases = map[string]bool{
	"junit-report": true, "json-report": true, "label-filter": true, "focus": true, "skip": true,
	"seed": true, "fail-fast": true, "no-color": true, "v": true, "vv": true, "dry-run": true,
}

// conformFlags defines the suite's flags and Ginkgo's run and report flags on fl, binding
// the latter to the configurations RunConformanceWith gets. The parallel.* flags are left
// out: they are how the ginkgo CLI drives its worker processes, which this command has not.
func conformFlags(fl *flag.FlagSet, suite *types.SuiteConfig, reporter *types.ReporterConfig) (*conformance.Flags, error) {
	f := conformance.RegisterFlags(fl)
	bindings := map[string]any{"S": suite, "R": reporter}
	var prefixed, plain types.GinkgoFlags
	for _, g := range types.SuiteConfigFlags.CopyAppend(types.ReporterConfigFlags...) {
		if g.Name == "" || strings.HasPrefix(g.KeyPath, "D.") {
			continue // only deprecated spellings
		}
		g.DeprecatedName = "" // the old camelCase spellings would double the help
		prefixed = append(prefixed, g)
		if ginkgoAliases[g.Name] {
			plain = append(plain, g)
		}
	}
	for _, set := range []types.GinkgoFlags{prefixed.WithPrefix("ginkgo"), plain} {
		if _, err := types.NewAttachedGinkgoFlagSet(fl, set, bindings, types.FlagSections, types.GinkgoFlagSection{}); err != nil {
			return nil, fmt.Errorf("conform: Ginkgo's flags: %w", err)
		}
	}
	fl.Usage = func() {} // NewAttachedGinkgoFlagSet installs Ginkgo's usage printer; dispatch prints ours
	return f, nil
}

func runConform(_ context.Context, args []string, env *environ) error {
	// Listen for SIGINT/SIGTERM from the start, as the test binary's TestMain does: a signal
	// before Ginkgo listens still ends the run with its reports, marked interrupted.
	signals := conformance.WatchSignals()
	defer signals.Stop()
	fl := newFlags("conform")
	suiteCfg, reporterCfg := types.NewDefaultSuiteConfig(), types.NewDefaultReporterConfig()
	f, err := conformFlags(fl, &suiteCfg, &reporterCfg)
	if err != nil {
		return err
	}
	if err := parseFlags(fl, args); err != nil {
		return err
	}
	if fl.NArg() > 0 {
		return fmt.Errorf("%w: conform takes flags only, got %q (the target goes in --target or the config file)", errUsage, fl.Args())
	}
	// Not go test: every call is a suite run, so no target is a usage error (exit 2).
	if _, err := f.Check(false); err != nil {
		var ue *conformance.UsageError
		if errors.As(err, &ue) {
			return fmt.Errorf("%w: %w", errUsage, err)
		}
		return err
	}
	opts, err := f.Options()
	if err != nil {
		return fmt.Errorf("%w: %w", errUsage, err)
	}
	if f.ListNeeds() {
		needs, err := conformance.ListNeeds(opts, suiteCfg)
		if err != nil {
			return fmt.Errorf("%w: %w", errUsage, err)
		}
		_, err = fmt.Fprint(env.stdout, needs)
		return err
	}
	t := &conformT{}
	passed, err := t.run(func() bool {
		return conformance.RunConformanceWith(t, opts, suiteCfg, reporterCfg, conformance.WithSignals(signals))
	})
	return conformOutcome(t, passed, err)
}

// conformOutcome is runConform's error for a run that returned passed, or could not start
// (err, from a Fatalf): a usage error (exit 2) only when the options are at fault (a
// *conformance.UsageError: what the flags' check let through), any other set-up error
// (the embedded contract failing to load, say) exit 1 like a failed run.
func conformOutcome(t *conformT, passed bool, err error) error {
	var ue *conformance.UsageError
	switch {
	case errors.As(err, &ue):
		return fmt.Errorf("%w: %w", errUsage, err)
	case err != nil:
		return fmt.Errorf("conform: the suite could not start: %w", err)
	case !passed || t.failed:
		return errConformFailed
	}
	return nil
}

// errConformFailed is exit status 1: the run wrote its reports, which say what failed.
var errConformFailed = errors.New("conform: the target did not pass (the reports above and in the report files say which specs failed and why)")

// conformT is the GinkgoTestingT of a run outside go test: it records a failure; Fatalf
// (a suite that cannot start) ends the run with an error.
type conformT struct {
	failed bool
}

func (t *conformT) Fail()   { t.failed = true }
func (t *conformT) Helper() {}

// conformFatal carries Fatalf's message, and the error among its arguments (a
// *conformance.UsageError, say), from inside RunConformanceWith to run.
type conformFatal struct {
	msg   string
	cause error
}

func (f *conformFatal) Error() string { return f.msg }
func (f *conformFatal) Unwrap() error { return f.cause }

func (t *conformT) Fatalf(format string, args ...any) {
	t.failed = true
	f := &conformFatal{msg: fmt.Sprintf(format, args...)}
	for _, a := range args {
		if err, ok := a.(error); ok {
			f.cause = err
			break
		}
	}
	panic(f)
}

// run calls suite, turning a Fatalf into an error.
func (t *conformT) run(suite func() bool) (passed bool, err error) {
	defer func() {
		if r := recover(); r != nil {
			f, ok := r.(*conformFatal)
			if !ok {
				panic(r)
			}
			passed, err = false, f
		}
	}()
	return suite(), nil
}
