package conformance

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
)

// Flags are the command-line flags of the suite. Precedence, as in the Gateway API suite:
// the defaults (DefaultOptions), then the YAML file of --config, then only the flags the
// user actually set (flag.Visit), so a flag's default never overrides the file.
type Flags struct {
	fs        *flag.FlagSet
	config    string
	workdir   string
	listNeeds bool
	// values holds every flag's parsed value; apply maps a flag name to how it changes Options.
	values map[string]*string
	bools  map[string]*bool
	apply  map[string]func(o *Options) error
}

// stringFlag describes one string flag: its name, usage and how it sets the options.
type stringFlag struct {
	name, usage string
	set         func(o *Options, v string) error
}

func str(p func(o *Options) *string) func(o *Options, v string) error {
	return func(o *Options, v string) error { *p(o) = v; return nil }
}

// password sets a role's password; an explicit password flag also clears the role's
// passwordEnv from the config file, so the flag wins as every other flag does.
func password(c func(o *Options) *Credentials) func(o *Options, v string) error {
	return func(o *Options, v string) error {
		cr := c(o)
		cr.Password, cr.PasswordEnv = v, ""
		return nil
	}
}

// stringFlags is a constant table of the string flags.
func stringFlags() []stringFlag {
	return []stringFlag{
		{"target", "base URL of the implementation under test, e.g. https://gws.example:8443 (required)", str(func(o *Options) *string { return &o.Target })},
		{"cometd-path", "path of the Bayeux (CometD) endpoint (default /api/v2/notifications)", str(func(o *Options) *string { return &o.CometDPath })},
		{"features", "comma-separated features the target claims, or all; core features are always on (default all)", func(o *Options, v string) error {
			fs, err := ParseFeatures(v)
			if err != nil {
				return err
			}
			o.Features = fs
			return nil
		}},
		{"agent", "user name of the main agent", str(func(o *Options) *string { return &o.Users.Agent.User })},
		{"agent-password", "password of the main agent (prefer users.agent.passwordEnv in the config file; this flag overrides it)", password(func(o *Options) *Credentials { return &o.Users.Agent })},
		{"agent2", "user name of the second agent", str(func(o *Options) *string { return &o.Users.Agent2.User })},
		{"agent2-password", "password of the second agent", password(func(o *Options) *Credentials { return &o.Users.Agent2 })},
		{"supervisor", "user name of the supervisor", str(func(o *Options) *string { return &o.Users.Supervisor.User })},
		{"supervisor-password", "password of the supervisor", password(func(o *Options) *Credentials { return &o.Users.Supervisor })},
		{"no-multimedia-user", "user name of a user without api-multimedia (feature multimedia-gate)", str(func(o *Options) *string { return &o.Users.NoMultimedia.User })},
		{"no-multimedia-password", "password of that user", password(func(o *Options) *Credentials { return &o.Users.NoMultimedia })},
		{"provisioning", "how interactions get into workbins: admin (the mock's admin API), list (ids placed beforehand, config file), api (Add of owned interactions, config file), command or webhook (a hook of yours places each interaction: provisioning.command or provisioning.webhook in the config file)", func(o *Options, v string) error {
			o.Provisioning.Mode = ProvisioningMode(v)
			return nil
		}},
		{"admin-path", "path prefix of the mock's admin API (default /_mock)", str(func(o *Options) *string { return &o.Provisioning.AdminPath })},
		{"admin-token", "bearer token for the mock's admin API", str(func(o *Options) *string { return &o.Provisioning.AdminToken })},
		{"ca-file", "PEM file of extra root certificates for an HTTPS target", str(func(o *Options) *string { return &o.TLS.CAFile })},
		{"timeouts", "timeout overrides, name=duration[,…]: request, notification, consistency, quiet, immediate, provision, spec, poll", func(o *Options, v string) error {
			return o.Timeouts.ApplyOverrides(v)
		}},
		{"deadline", "bound on the whole run, e.g. 10m: when it elapses the run stops, the specs not run are reported as such and the reports are written (default 10m)", func(o *Options, v string) error {
			return o.Deadline.UnmarshalText([]byte(v))
		}},
		{"report-json", "where to write the conformance report as JSON (empty: not written)", str(func(o *Options) *string { return &o.Reports.JSON })},
		{"report-markdown", "where to write the conformance report as Markdown (empty: not written)", str(func(o *Options) *string { return &o.Reports.Markdown })},
		{"report-junit", "where to write Ginkgo's JUnit report, written by the suite before it exits, also when the run is interrupted (empty: not written)", str(func(o *Options) *string { return &o.Reports.JUnit })},
		{"report-ginkgo-json", "where to write Ginkgo's JSON report, likewise (empty: not written)", str(func(o *Options) *string { return &o.Reports.GinkgoJSON })},
		{"rules-url", "address of docs/rules.md that the reports' rule ids link to (default: rules.md, written beside each report)", str(func(o *Options) *string { return &o.Reports.RulesURL })},
		{"implementation-organization", "organization of the implementation, for the report", str(func(o *Options) *string { return &o.Implementation.Organization })},
		{"implementation-project", "project name of the implementation, for the report", str(func(o *Options) *string { return &o.Implementation.Project })},
		{"implementation-version", "version of the implementation, for the report", str(func(o *Options) *string { return &o.Implementation.Version })},
		{"implementation-url", "URL of the implementation, for the report", str(func(o *Options) *string { return &o.Implementation.URL })},
	}
}

// boolFlags is a constant table of the boolean flags.
func boolFlags() []struct {
	name, usage string
	field       func(o *Options) *bool
} {
	return []struct {
		name, usage string
		field       func(o *Options) *bool
	}{
		{"strict", "hold the target to the mock's choices where the docs are silent (exact D3 statusCodes, capability order, error texts)", func(o *Options) *bool { return &o.Strict }},
		{"insecure-skip-verify", "accept any TLS certificate (test labs only)", func(o *Options) *bool { return &o.TLS.InsecureSkipVerify }},
	}
}

// RegisterFlags defines the suite's flags on fs (flag.CommandLine in a test binary).
func RegisterFlags(fs *flag.FlagSet) *Flags {
	f := &Flags{fs: fs, values: map[string]*string{}, bools: map[string]*bool{}, apply: map[string]func(*Options) error{}}
	fs.StringVar(&f.config, "config", "", "YAML config file (see docs/conformance.md); flags given explicitly override it. "+
		"With a config file the mock's default users and workbins do not apply; relative paths inside it are relative to the file")
	fs.StringVar(&f.workdir, "workdir", "", "directory that relative --config, --ca-file and --report-* paths (and the default report files) are relative to; "+
		"default: the current directory, which under go test and the ginkgo CLI is the package directory (make conform passes the directory make runs in)")
	fs.BoolVar(&f.listNeeds, "list-needs", false, "print how many interactions list provisioning needs, per workbin and media, for the declared features "+
		"(--features, --config), the specs --label-filter, --focus and --skip select, and 1, 2 or 4 parallel processes, then exit without running")
	for _, sf := range stringFlags() {
		v := fs.String(sf.name, "", sf.usage)
		f.values[sf.name] = v
		set := sf.set
		name := sf.name
		f.apply[sf.name] = func(o *Options) error {
			if err := set(o, *v); err != nil {
				return fmt.Errorf("--%s: %w", name, err)
			}
			return nil
		}
	}
	for _, bf := range boolFlags() {
		v := fs.Bool(bf.name, false, bf.usage)
		f.bools[bf.name] = v
		field := bf.field
		f.apply[bf.name] = func(o *Options) error { *field(o) = *v; return nil }
	}
	return f
}

// ListNeeds reports whether --list-needs was given: print ListNeeds and run nothing.
func (f *Flags) ListNeeds() bool { return f.listNeeds }

// Configured reports whether the suite was told where to run: --target or --config given
// with a value. One given empty (an unset CI variable) tells it nothing: Check reports
// that as a usage error.
func (f *Flags) Configured() bool {
	return f.givenNonEmpty("target") || f.givenNonEmpty("config")
}

// givenNonEmpty reports whether the flag name was given with a value.
func (f *Flags) givenNonEmpty(name string) bool {
	given := false
	f.fs.Visit(func(fl *flag.Flag) {
		if fl.Name == name {
			given = true
		}
	})
	return given && !f.explicitlyEmpty(name)
}

// UsageError is a mistake on the command line or in the config file: the suite cannot
// start. A test binary reports it on one line and exits 2 (see ExitUsage).
type UsageError struct{ Err error }

func (e *UsageError) Error() string { return e.Err.Error() }
func (e *UsageError) Unwrap() error { return e.Err }

// ExitUsage is the exit status of a usage error (the convention of flag and of the
// workbinkit CLI).
const ExitUsage = 2

// errNoTarget names both ways of giving a target.
var errNoTarget = errors.New("conformance: no target: give --target=https://host:port (the server's base URL) or --config FILE with target: in it")

// InvokedByGoTest reports whether the test binary was started by go test: go test always
// passes -test.paniconexit0 (since Go 1.16), the ginkgo CLI (v2.34.0: --test.timeout=0 and
// --ginkgo.* flags) and a direct run of the binary do not. Call it after parsing fs.
func InvokedByGoTest(fs *flag.FlagSet) bool {
	f := fs.Lookup("test.paniconexit0")
	return f != nil && f.Value.String() == "true"
}

// SuiteRequested reports whether this process must run the suite rather than only the
// unit tests of the package. The suite's entry, TestConformance, lives in the same
// package as its unit tests (so bin/conformance.test, the ginkgo CLI and go test all
// reach it the same way); this decides which of the two a run is for:
//   - a -test.run pattern that does not select TestConformance: unit tests only;
//   - a test binary started by the ginkgo CLI or directly (bin/conformance.test): the
//     suite, always, so that a run without a target is a usage error, never a PASS;
//   - under go test: the suite when one of its flags was given (go test ./conformance
//     -args --target …), or when -run selects TestConformance and not every test
//     (-run TestConformance); otherwise unit tests only, so that go test ./... (make
//     test) stays self-contained.
func (f *Flags) SuiteRequested(goTest bool) bool {
	run := ""
	if fl := f.fs.Lookup("test.run"); fl != nil {
		run = fl.Value.String()
	}
	if run != "" && !matchesTest(run, "TestConformance") {
		return false
	}
	if !goTest {
		return true
	}
	set := false
	f.fs.Visit(func(fl *flag.Flag) {
		if f.isSuiteFlag(fl.Name) {
			set = true
		}
	})
	// A pattern that also matches any other name (., Test) runs the unit tests as well.
	return set || (run != "" && !matchesTest(run, "TestUnitTestsOfConformance"))
}

// matchesTest reports whether go test's -run pattern selects the top-level test name
// (the part of the pattern before its first "/" applies to top-level tests). A pattern
// that does not compile selects nothing here; go test itself reports it.
func matchesTest(pattern, name string) bool {
	top, _, _ := strings.Cut(pattern, "/")
	re, err := regexp.Compile(top)
	return err == nil && re.MatchString(name)
}

func (f *Flags) isSuiteFlag(name string) bool {
	if _, ok := f.apply[name]; ok {
		return true
	}
	return name == "config" || name == "workdir" || name == "list-needs"
}

// Check decides, once the flags are parsed, whether this process runs the suite (true),
// only the unit tests (false: go test without any suite flag), or nothing: a
// *UsageError when a suite run has no target (no --target and no --config, or a
// --target given empty, as a dropped CI variable leaves it) or invalid options.
// --list-needs needs no target.
func (f *Flags) Check(goTest bool) (bool, error) {
	if !f.SuiteRequested(goTest) {
		return false, nil
	}
	if f.explicitlyEmpty("target") {
		return false, &UsageError{errors.New("conformance: --target is empty (an unset CI variable?): give --target=https://host:port (the server's base URL) or --config FILE")}
	}
	if f.explicitlyEmpty("config") {
		return false, &UsageError{errors.New("conformance: --config is empty (an unset CI variable?): give --config FILE or --target=https://host:port")}
	}
	o, err := f.Options()
	if err != nil {
		return false, &UsageError{err}
	}
	if f.listNeeds {
		return true, nil
	}
	if strings.TrimSpace(o.Target) == "" {
		return false, &UsageError{errNoTarget}
	}
	o.Features = normalizeFeatures(o.Features)
	if err := o.Validate(); err != nil {
		return false, &UsageError{err}
	}
	return true, nil
}

// explicitlyEmpty reports whether the flag name was given with an empty value.
func (f *Flags) explicitlyEmpty(name string) bool {
	empty := false
	f.fs.Visit(func(fl *flag.Flag) {
		if fl.Name == name && strings.TrimSpace(fl.Value.String()) == "" {
			empty = true
		}
	})
	return empty
}

// Options builds the options: defaults, then the --config file, then the flags that were
// set, then the *Env fields from the environment. It does not validate (Validate does).
// Without --config the defaults are the mock's (DefaultOptions); with one, BaseOptions: the
// file names the users and workbins, and the mock's never fill its gaps.
func (f *Flags) Options() (Options, error) {
	wd := f.workdir
	if wd != "" {
		abs, err := filepath.Abs(wd)
		if err != nil {
			return Options{}, fmt.Errorf("conformance: --workdir: %w", err)
		}
		wd = abs
	}
	o := BaseOptions()
	if f.config == "" {
		var err error
		if o, err = DefaultOptions(); err != nil {
			return Options{}, err
		}
	}
	o.Reports.JSON, o.Reports.Markdown = resolvePath(wd, o.Reports.JSON), resolvePath(wd, o.Reports.Markdown)
	if f.config != "" {
		if err := o.LoadConfigFile(resolvePath(wd, f.config)); err != nil {
			return Options{}, err
		}
	}
	var set []string
	f.fs.Visit(func(fl *flag.Flag) {
		if _, ok := f.apply[fl.Name]; ok {
			set = append(set, fl.Name)
		}
	})
	sort.Strings(set)
	for _, name := range set {
		if err := f.apply[name](&o); err != nil {
			return Options{}, fmt.Errorf("conformance: %w", err)
		}
	}
	for _, p := range []*string{&o.TLS.CAFile, &o.Reports.JSON, &o.Reports.Markdown, &o.Reports.JUnit, &o.Reports.GinkgoJSON} {
		*p = resolvePath(wd, *p) // the file's paths are absolute already; the flags' are relative to wd
	}
	if err := o.Resolve(os.Getenv); err != nil {
		return Options{}, err
	}
	return o, nil
}
