package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/workbinkit/workbinkit/har"
	"github.com/workbinkit/workbinkit/observe"
	"github.com/workbinkit/workbinkit/spec"
)

// errViolations: the traffic broke the contract (exit status 1).
var errViolations = errors.New("the traffic broke the contract")

// observeFlags are the flags validate and proxy share: how to judge, and where to report.
type observeFlags struct {
	strict                       bool
	window, settle               time.Duration
	reports                      string
	reportJSON, reportMD, junit  string
	rulesURL                     string
	quiet                        bool
	defaultReports, reportPrefix string
}

func (o *observeFlags) register(fs *flag.FlagSet) {
	fs.BoolVar(&o.strict, "strict", false, "values beyond the ones the contract knows (capabilities, states, extra members) are violations, not warnings")
	fs.DurationVar(&o.window, "notification-window", 10*time.Second, "how long after an accepted operation its notifications may take")
	fs.DurationVar(&o.settle, "settle", time.Second, "how long after an operation a read may still show the state before it")
	fs.StringVar(&o.reports, "reports", o.defaultReports, "write the JSON, Markdown and JUnit reports into `DIR` (\"\": none unless named below)")
	fs.StringVar(&o.reportJSON, "report-json", "", "write the JSON report (the suite's format) to `FILE`")
	fs.StringVar(&o.reportMD, "report-markdown", "", "write the Markdown report to `FILE`")
	fs.StringVar(&o.junit, "junit", "", "write the JUnit XML report to `FILE`")
	fs.StringVar(&o.rulesURL, "rules-url", "", "where docs/rules.md is published, for the reports' rule links (default: rules.md written beside them)")
	fs.BoolVar(&o.quiet, "quiet", false, "do not print each violation as it is found")
}

func (o *observeFlags) paths() observe.ReportPaths {
	p := observe.ReportPaths{JSON: o.reportJSON, Markdown: o.reportMD, JUnit: o.junit}
	if o.reports != "" {
		def := func(cur *string, name string) {
			if *cur == "" {
				*cur = filepath.Join(o.reports, o.reportPrefix+name)
			}
		}
		def(&p.JSON, "report.json")
		def(&p.Markdown, "report.md")
		def(&p.JUnit, "junit.xml")
	}
	return p
}

// options are the checker's options; findings are printed to w (one line each) unless
// --quiet.
func (o *observeFlags) options(w io.Writer) observe.Options {
	opts := observe.Options{Strict: o.strict, NotificationWindow: o.window, Settle: o.settle}
	if !o.quiet {
		var mu sync.Mutex
		opts.OnFinding = func(f observe.Finding) {
			mu.Lock()
			defer mu.Unlock()
			fmt.Fprintln(w, f.Line())
		}
	}
	return opts
}

// finish writes the reports and prints the summary; it returns errViolations when the
// traffic broke the contract.
func (o *observeFlags) finish(res *observe.Result, info observe.ReportInfo, w io.Writer) error {
	info.Strict, info.RulesURL = o.strict, o.rulesURL
	paths := o.paths()
	if err := observe.WriteReports(res, info, paths); err != nil {
		return err
	}
	rep := res.Report(info)
	fmt.Fprintf(w, "%s: %s\n", rep.Result, rep.Summary)
	for _, p := range []string{paths.Markdown, paths.JUnit, paths.JSON} {
		if p != "" {
			fmt.Fprintf(w, "report: %s\n", p)
		}
	}
	if res.Failed() {
		return fmt.Errorf("%w: %d violations", errViolations, res.Errors)
	}
	return nil
}

const validateAbout = `Judges a captured session against the contract, as the proxy does live: every request the
server accepted, every response and every CometD notification against spec/, and what the
traffic alone shows of the suite's rules (referenceIds echoed, what a pull publishes, the
workbin content after it, refusals that change nothing, CSRF, Bayeux behaviour). The capture
may come from the proxy (--record), Chrome DevTools ("Save all as HAR with content") or
Playwright (recordHar). Large captures are read as a stream.

Each violation is printed as one line: level [rule] #exchange where (user) at pointer:
message | masked excerpt. Exit status: 0 when the traffic holds to the contract, 1 when it
broke it, 2 for a usage error or a file that is not a HAR (the error names the line and
column).
`

func runValidate(ctx context.Context, args []string, env *environ) error {
	fs := newFlags("validate")
	var of observeFlags
	of.register(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return fmt.Errorf("%w: validate: want one HAR file (or - for standard input), got %d arguments", errUsage, fs.NArg())
	}
	name := fs.Arg(0)
	var in io.Reader = env.stdin
	var file *os.File
	if name != "-" {
		f, err := os.Open(name)
		if err != nil {
			return fmt.Errorf("%w: validate: %v", errUsage, err)
		}
		defer f.Close()
		in, file = f, f
	} else {
		name = "standard input"
	}
	contract, err := spec.Load()
	if err != nil {
		return err
	}
	k := observe.New(contract, of.options(env.stdout))
	n, err := observe.ReadHAR(ctx, har.NewReader(in), k)
	if err != nil {
		if errors.Is(err, har.ErrNotHAR) {
			if file != nil {
				if _, serr := file.Seek(0, io.SeekStart); serr == nil {
					err = har.Locate(err, file)
				}
			}
			return fmt.Errorf("%w: %s: %v", errUsage, name, err)
		}
		return fmt.Errorf("validate: %s: %w", name, err)
	}
	info := observe.ReportInfo{Source: name, Finished: time.Now(),
		Reproduce: "workbinkit validate " + strings.Join(args, " ")}
	if n == 0 {
		fmt.Fprintf(env.stderr, "workbinkit: %s holds no exchanges\n", name)
	}
	return of.finish(k.Result(), info, env.stdout)
}
